/**
 * The values `hostileProbes` (hostile-probes.ts) sends: what a careless or hostile client puts in a
 * path, a query, a header, a content type or a body field, each named for the fault it reports.
 */

const DEEP = 10_000;

/** Wrong types and non-finite numbers for a path or query value, as sent. */
const WRONG_TYPES: [string, string][] = [
  ['Infinity', 'Infinity'],
  ['-Infinity', '-Infinity'],
  ['-1e309', '-1e309'],
  ['2^53 + 1', '9007199254740993'],
  ['-1.5', '-1.5'],
  ['true', 'true'],
  ['a word', 'hostile'],
];

/** When thorough: every path, query and body value also gets these (a body over its limit: 413). */
export const MB = 'x'.repeat(1024 * 1024);
export const LARGE_URL_VALUES: [string, string][] = [['1 MB', MB]];
export const LARGE_FIELD_VALUES: [string, string][] = [
  ['1 MB string', JSON.stringify(MB)],
  ['50 000-deep arrays', `${'['.repeat(50_000)}${']'.repeat(50_000)}`],
];

/** Path parameter values, as sent (already percent-encoded where they are escapes). */
export const PATH_VALUES: [string, string][] = [
  ['%zz', '%zz'],
  ['%00', 'a%00b'],
  ['%ff', '%ff'],
  ['encoded lone surrogate', 'a%ED%A0%80'],
  ['encoded slash', 'a%2Fb'],
  ['301 characters', 'x'.repeat(301)],
  ['-1', '-1'],
  ['overflowing integer', '99999999999999999999999999'],
  ['1e309', '1e309'],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['almost a uuid', '00000000-0000-4000-8000-00000000000g'],
  ['encoded dots', '%2e%2e'],
  ['empty', ''],
  ...WRONG_TYPES,
];

export const QUERY_VALUES: [string, string][] = [
  ['%zz', '%zz'],
  ['%ff', '%ff'],
  ['%00', 'a%00b'],
  ['encoded lone surrogate', '%ED%A0%80'],
  ['empty', ''],
  ['1e309', '1e309'],
  ['-1', '-1'],
  ['1.5', '1.5'],
  ['overflowing integer', '99999999999999999999999999'],
  ['10 000 characters', 'y'.repeat(10_000)],
  ['[]', '%5B%5D'],
  ['plus signs', '+++'],
  ['0', '0'],
  ['the largest safe integer', '9007199254740991'],
  ...WRONG_TYPES,
  ['tsquery operators', encodeURIComponent('&|!:*()<->\\ a:* !b & (c')],
  ['quotes', encodeURIComponent(`'"'"\``)],
  ['SQL', encodeURIComponent("' OR 1=1; --")],
  ['LIKE wildcards', encodeURIComponent('%_\\%')],
  ['InfluxQL', encodeURIComponent('" OR 1=1 /* \\" ; DROP MEASUREMENT events')],
  ['a regex', encodeURIComponent('/.*(a+)+$/')],
  ['year 1', '0001-01-01T00%3A00%3A00Z'],
  ['year 9999', '9999-12-31T23%3A59%3A59.999Z'],
  ['before 1970', '1969-12-31T23%3A59%3A59Z'],
  ['after 2262', '2262-04-12T00%3A00%3A00Z'],
  ['a +14:00 offset', '2024-01-01T00%3A00%3A00%2B14%3A00'],
  ['P99999Y', 'P99999Y'],
  ['PT0S', 'PT0S'],
  ['500 commas', ','.repeat(500)],
  ['200 names', Array.from({ length: 200 }, (_, i) => `e${i}`).join(',')],
  ...['{}', '[]', 'null', '{"id":1e400,"at":"x"}', '["x",{"y":1}]'].map(
    (json) => [`base64url of ${json}`, Buffer.from(json).toString('base64url')] as [string, string],
  ),
];

/** Whole query strings, whatever the operation's parameters. */
export const ODD_QUERIES: [string, string][] = [
  ['a name that is %zz', '%zz=1'],
  ['a name with NUL', 'a%00=1'],
  ['prototype names', '__proto__=1&constructor=1&prototype=1&toString=1&hasOwnProperty=1'],
  ['2000 empty pairs', '&'.repeat(2000)],
  ['a bare =', '='],
  ['1000 parameters', Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&')],
];

export const AUTHORIZATIONS: [string, string][] = [
  ['Bearer with nothing', 'Bearer'],
  ['Bearer and a space', 'Bearer '],
  ['Bearer garbage', 'Bearer garbage'],
  ['Bearer a.b.c', 'Bearer a.b.c'],
  ['Bearer 8 KB', `Bearer ${'A'.repeat(8 * 1024)}`],
  ['Bearer alg none', `Bearer ${unsignedJwt()}`],
  ['Bearer with a JSON array header', `Bearer ${b64('[]')}.${b64('{}')}.`],
  ['Bearer header that is not JSON', `Bearer ${b64('{')}.${b64('{}')}.sig`],
  ['Bearer twice', 'Bearer a Bearer b'],
  ['lower-case bearer garbage', 'bearer x.y.z'],
  ['Basic with bad base64', 'Basic !!!not-base64!!!'],
  ['Basic without a colon', `Basic ${Buffer.from('nocolon').toString('base64')}`],
  ['Basic with NUL', `Basic ${Buffer.from('a\u0000b:c\u0000').toString('base64')}`],
  ['Basic with invalid UTF-8', `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0xc3]).toString('base64')}`],
  ['Basic empty', 'Basic '],
  ['Basic 8 KB', `Basic ${Buffer.from(`${'k'.repeat(6000)}:`).toString('base64')}`],
  ['an unknown scheme', 'Digest username="a"'],
  ['latin-1 bytes', 'Bearer \u00ff\u00fe'],
];

export const ODD_HEADERS: [string, Record<string, string>][] = [
  ['If-None-Match garbage', { 'if-none-match': 'W/"x, , "y' }],
  ['If-None-Match *', { 'if-none-match': '*' }],
  ['If-Match garbage', { 'if-match': '"' }],
  ['If-Match 4 KB', { 'if-match': `"${'e'.repeat(4096)}"` }],
  ['If-Modified-Since garbage', { 'if-modified-since': 'yesterday' }],
  ['Accept XML', { accept: 'application/xml' }],
  ['Accept with a bad q', { accept: 'text/html;q=x, */*;q=-1' }],
  ['Accept-Encoding garbage', { 'accept-encoding': 'br;q=2, gzip;q=nan, *;q=' }],
  ['X-Request-Id with spaces', { 'x-request-id': 'a b c' }],
  ['X-Forwarded-For garbage', { 'x-forwarded-for': 'not an address, ::::, 999.1.1.1' }],
  ['Range garbage', { range: 'bytes=9-1' }],
  ['Cookie garbage', { cookie: '=; ;=;a' }],
  ['traceparent garbage', { traceparent: '00-zz-zz-zz' }],
];

export const CONTENT_TYPES: [string, string | undefined][] = [
  ['text/plain', 'text/plain'],
  ['JSON in latin1', 'application/json; charset=latin1'],
  ['JSON in UTF-16', 'application/json; charset=utf-16'],
  ['form urlencoded', 'application/x-www-form-urlencoded'],
  ['multipart without a boundary', 'multipart/form-data'],
  ['multipart with a boundary', 'multipart/form-data; boundary=x'],
  ['no content type', undefined],
  ['two types', 'application/json, text/plain'],
  ['upper-case JSON', 'APPLICATION/JSON'],
  ['application/jsonx', 'application/jsonx'],
  ['a +json suffix', 'application/vnd.api+json'],
  ['an empty type', ''],
  ['a type with a bad parameter', 'application/json; ;=;charset'],
];

/** JSON bodies sent whole, whatever the operation's schema. */
export const RAW_BODIES: [string, string][] = [
  ['empty', ''],
  ['invalid JSON', '{'],
  ['trailing garbage', '{} x'],
  ['null', 'null'],
  ['an array', '[]'],
  ['a string', '"s"'],
  ['1e309', '1e309'],
  ['a BOM and {}', '\ufeff{}'],
  [`${DEEP}-deep arrays`, `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`],
  [`${DEEP}-deep objects`, `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`],
  ['a key with an escaped NUL', '{"\\u0000":1}'],
  ['a key with a lone surrogate', '{"\\ud800":1}'],
  ['a key with a raw NUL', '{"a\u0000":1}'],
  ['a raw control character', '{"a":"\u0001"}'],
  ['__proto__', '{"__proto__":{"hostilePolluted":1}}'],
  ['constructor.prototype', '{"constructor":{"prototype":{"hostilePolluted":1}}}'],
  ['duplicate keys', '{"a":1,"a":2}'],
  ['invalid UTF-8', '{"a":"\xff"}'],
];

/** Values a body field gets in turn, as JSON text. */
export const FIELD_VALUES: [string, string][] = [
  ['an array', '["x"]'],
  ['an object', '{"x":1}'],
  ['an escaped NUL', '"a\\u0000b"'],
  ['an escaped lone surrogate', '"a\\udc00"'],
  ['1e309', '1e309'],
  ['-1e309', '-1e309'],
  ['an overflowing integer', '99999999999999999999999999'],
  ['-1', '-1'],
  ['1.5', '1.5'],
  ['a number as a string', '"12"'],
  ['empty', '""'],
  ['null', 'null'],
  ['100 000 characters', JSON.stringify('z'.repeat(100_000))],
  ['object with a prototype key', '{"__proto__":{"hostilePolluted":1}}'],
  ['year 1', '"0001-01-01T00:00:00Z"'],
  ['year 9999', '"9999-12-31T23:59:59.999Z"'],
  ['before 1970', '"1969-12-31T23:59:59Z"'],
  ['after 2262', '"2262-04-12T00:00:00Z"'],
  ['emoji only', '"😀😀"'],
  ['combining marks only', '"\u0301\u0301"'],
  ['tsquery operators', '"&|!:*()<->\\\\ a:*"'],
  ['SQL', `"' OR 1=1; --"`],
  ['an escaped pair of surrogates', '"\ud83d\ude00"'],
  ['2^53 + 1', '9007199254740993'],
  ['"Infinity"', '"Infinity"'],
  ['"-Infinity"', '"-Infinity"'],
  ['true', 'true'],
  ['a word', '"hostile"'],
];

function b64(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A JWT with `alg: none` and plausible claims, which a verifier must refuse. */
function unsignedJwt(): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: '00000000-0000-4000-8000-000000000000',
    sid: 'x',
    exp: now + 600,
    iat: now,
  };
  return `${b64(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}.`;
}
