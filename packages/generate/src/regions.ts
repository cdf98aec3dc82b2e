import { GenerateError } from './output.ts';

/**
 * Generated regions inside hand-written files: the lines between
 *   # generated:<id> begin …
 *   # generated:<id> end
 * (any indentation) belong to `npm run generate`; everything around them is the file's author's.
 * The begin line may carry a template for each service's line after "one per service:".
 */
export interface Region {
  /** The begin marker line as written, and its indentation. */
  header: string;
  indent: string;
  /** One line per service made from it, with `{name}` replaced (if the header has one). */
  template?: string;
}

const markers = (id: string) => ({
  begin: new RegExp(`^([ \\t]*)# generated:${id} begin\\b.*$`, 'm'),
  end: new RegExp(`^[ \\t]*# generated:${id} end[ \\t]*$`, 'm'),
});

/**
 * Replaces region `id`'s body with what `render` makes of it. A marker line missing is a
 * GenerateError, one line like the generator's other problems (`npm run generate` and the deploy
 * check print it and exit 1): a plain Error was a stack trace.
 */
export function fillRegion(
  text: string,
  file: string,
  id: string,
  render: (region: Region) => string,
): string {
  const { begin, end } = markers(id);
  const start = begin.exec(text);
  if (!start) {
    throw new GenerateError([
      `${file}: no "# generated:${id} begin" line: put the region's begin and end lines back (git diff shows them), then run npm run generate`,
    ]);
  }
  const bodyStart = start.index + start[0].length + 1;
  const stop = end.exec(text.slice(bodyStart));
  if (!stop) {
    throw new GenerateError([
      `${file}: "# generated:${id} begin" has no matching end line: put it back (git diff shows it), then run npm run generate`,
    ]);
  }
  const header = start[0];
  const template = /one per service: (.*)$/.exec(header)?.[1];
  const body = render({ header, indent: start[1]!, ...(template ? { template } : {}) });
  return text.slice(0, bodyStart) + body + text.slice(bodyStart + stop.index);
}

/** The text outside every generated region: what the file's author wrote. */
export function outsideRegions(text: string): string {
  return text.replace(
    /^[ \t]*# generated:([a-z-]+) begin\b.*\n[\s\S]*?^[ \t]*# generated:\1 end[ \t]*$/gm,
    '',
  );
}
