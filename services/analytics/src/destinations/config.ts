import { ConfigError } from '@platform/config';
import { type Static, Type } from 'typebox';
import Value from 'typebox/value';

const DestinationSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
    url: Type.String({ pattern: '^https?://', maxLength: 2000 }),
    secret: Type.String({ minLength: 16, maxLength: 512 }),
    events: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 100 }),
    ),
  },
  { additionalProperties: false },
);

const DestinationsSchema = Type.Array(DestinationSchema, { maxItems: 50 });

export interface Destination {
  name: string;
  url: string;
  /** Key of the HMAC-SHA256 signature on every delivery; never logged or returned. */
  secret: string;
  /** Event-name patterns (`*` matches any run of characters); absent means every event. */
  events: string[] | null;
  matches(event: string): boolean;
}

const EXPECTED =
  'a JSON array of {name, url, secret (16+ characters), events?: ["pattern", ...]} with unique names';

/**
 * Reads the `DESTINATIONS` setting. Any problem is one ConfigError naming the entry and field,
 * so `runMain` stops the service with one line; the value itself is never echoed (it holds secrets).
 */
export function parseDestinations(raw: string | undefined): Destination[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalid('it is not valid JSON');
  }
  const [first] = Value.Errors(DestinationsSchema, value);
  if (first) {
    const [index, field] = first.instancePath.split('/').slice(1);
    const missing = (first.params as { requiredProperties?: string[] }).requiredProperties?.[0];
    const where = index === undefined ? 'the list' : `entry ${index}`;
    const what = field ?? missing ?? '';
    throw invalid(
      `${where}${what ? ` field ${what}` : ''} ${missing ? 'is missing' : first.message}`,
    );
  }
  const entries = value as Static<typeof DestinationsSchema>;
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    if (seen.has(entry.name)) throw invalid(`entry ${index} repeats the name ${entry.name}`);
    seen.add(entry.name);
    if (!URL.canParse(entry.url)) throw invalid(`entry ${index} field url is not a URL`);
    const patterns = entry.events?.map(patternOf) ?? null;
    return {
      name: entry.name,
      url: entry.url,
      secret: entry.secret,
      events: entry.events ?? null,
      matches: (event: string) => patterns === null || patterns.some((p) => p.test(event)),
    };
  });
}

function invalid(reason: string): ConfigError {
  return new ConfigError(`DESTINATIONS is invalid (${reason}): expected ${EXPECTED}`);
}

function patternOf(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
