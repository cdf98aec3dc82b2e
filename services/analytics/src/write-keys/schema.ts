import { Type } from 'typebox';

/**
 * An origin as a browser serializes it (RFC 6454), or `*`. Checked by the service, not by the
 * schema: its messages say how an origin is off (a path or trailing slash copied from the address
 * bar, a default port), more than a pattern's one message could. A host may hold `_`
 * (`my_shop.example.com`): not a DNS host name, but the URL standard keeps it as written and
 * browsers load such pages and send it in Origin.
 */
export const ORIGIN =
  /^(\*|https?:\/\/([a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?)$/;

const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  // Printable and not blank.
  pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u001f\\u007f]+$',
  'x-pattern-message': 'must not be blank nor contain control characters (line breaks, tabs)',
  description: 'What sends with it, e.g. "billing backend"',
});

const Origins = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
  description:
    'A browser key only, and required there: the page origins it is taken from (scheme, host and port as a browser sends them in Origin, lower case, without a path, a trailing slash or the default port, e.g. https://shop.example.com or http://127.0.0.1:3000), or "*" for any',
});

export const WriteKeyBody = Type.Object(
  {
    name: Name,
    kind: Type.Optional(
      Type.Union([Type.Literal('server'), Type.Literal('browser')], {
        description:
          "`server` (default): a backend, on the Segment routes (/batch, /track…), trusted with profile traits. `browser`: a web page (analytics.js), public: only on its routes (/t, /p, /i, /g, /a, /s, /b), only from `origins`, and it never changes a profile's traits",
      }),
    ),
    origins: Type.Optional(Origins),
  },
  { additionalProperties: false },
);

/** A key's kind and secret never change; its name and a browser key's origins do. */
export const WriteKeyPatch = Type.Object(
  {
    name: Type.Optional(Name),
    origins: Type.Optional({
      ...Origins,
      description:
        'A browser key only: its whole new list of origins, checked as at creation; in effect on every replica from the next request',
    }),
  },
  { additionalProperties: false },
);

const fields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  key_prefix: Type.String({ description: "The key's first characters, to tell keys apart" }),
  kind: Type.Union([Type.Literal('server'), Type.Literal('browser')]),
  origins: Type.Array(Type.String(), {
    description: "A browser key's origins; empty for a server key",
  }),
  created_at: Type.String({ format: 'date-time' }),
};

export const WriteKey = Type.Object(fields);

export const NewWriteKey = Type.Object({
  ...fields,
  key: Type.String({
    description: 'The key itself: shown this once; only a hash of it is kept',
  }),
});

export const WriteKeyList = Type.Object({ items: Type.Array(WriteKey) });

export const WriteKeyParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'A write key id' }),
});

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'The ETag of GET /write-keys/{id} the change was made from; a key changed since is a 412 version_conflict',
    }),
  ),
});
