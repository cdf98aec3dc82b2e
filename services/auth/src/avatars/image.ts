import { problems } from '@platform/http';
import type Sharp from 'sharp';
import { problem } from '../errors.ts';

export const AVATAR_SIZE = 256;
export const AVATAR_TYPE = 'image/webp';
const ACCEPTED = new Set(['png', 'jpeg', 'webp']);
/**
 * Scans a JPEG may have. Encoders' progressive scripts use about ten; each scan is a pass over
 * every block of the image, and one costs ~35 bytes when it codes nothing (an end-of-band run
 * over all blocks). libjpeg only warns about a scan repeating a band (failOn 'error' ignores
 * warnings), so a 383 KB JPEG of 4096×4096 with 10 000 empty scans was 12 s of decoding, and a
 * 5 MB one minutes of a decode slot and a core.
 */
export const MAX_JPEG_SCANS = 500;
const START_OF_SCAN = Buffer.from([0xff, 0xda]);
/** Bytes of one sample, by libvips' band format (sharp's metadata `depth`). */
const SAMPLE_BYTES: Record<string, number> = { ushort: 2, short: 2, uint: 4, int: 4, float: 4 };

/**
 * How many scans a JPEG may hold, up to `max + 1`: its FF DA byte pairs. Every scan libjpeg reads
 * starts with one (after any fill bytes), and entropy-coded data never holds one (an FF there is
 * stuffed with 00); one in a segment's payload (an EXIF thumbnail's) is counted too, which only
 * overstates: no garbage between segments, which libjpeg skips with a warning, hides a scan.
 */
function jpegScans(data: Buffer, max: number): number {
  let scans = 0;
  for (let at = data.indexOf(START_OF_SCAN); at !== -1 && scans <= max; scans++) {
    at = data.indexOf(START_OF_SCAN, at + 2);
  }
  return scans;
}

let loaded: Promise<typeof Sharp> | undefined;

/**
 * sharp (libvips) is loaded with the first avatar, not at start: it adds about 10 MB to a
 * process that may never see a picture.
 */
function loadSharp(): Promise<typeof Sharp> {
  loaded ??= import('sharp').then(({ default: sharp }) => {
    // Auth decodes one small picture now and then; CPU and the libuv pool belong to sign-ins
    // (argon2 runs there too). One libvips thread per image, and no cache of decoded images
    // that are never asked for twice.
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return loaded;
}

const notAnImage = () =>
  problems.unsupportedMediaType('The file must be a PNG, JPEG or WebP image.');

/**
 * Whether the bytes start as a PNG, a JPEG or a WebP file does. Checked before sharp sees them:
 * libvips picks its loader from the bytes, and reading even the header of another format can be
 * the whole work — a 4.2 MB SVG of 600 000 empty elements took librsvg 6 s and 870 MB to size,
 * past auth's 512 Mi memory limit, before its format was refused.
 */
const startsAsAccepted = (data: Buffer) =>
  data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
  (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) ||
  (data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP');

export interface DecodeLimits {
  maxPixels: number;
  /** Called just before the pixels are decoded (the expensive part). */
  onDecode?: () => void;
  /** Called when the header declares too many pixels (and nothing is decoded). */
  onTooManyPixels?: () => void;
}

/**
 * Re-encodes an upload as a square WebP. The type comes from the bytes, never from the client's
 * content type or file name, and only pixels survive: sharp writes no EXIF (location, camera),
 * ICC or XMP unless asked to, and a crafted file's other contents cannot reach the output.
 *
 * The header is read first: a file that declares more than `maxPixels` is refused (422) before
 * a single pixel is decoded, whatever its byte size (a 116 KB PNG can declare 40 megapixels).
 */
export async function toAvatar(upload: Buffer, limits: DecodeLimits): Promise<Buffer> {
  const { maxPixels } = limits;
  if (!startsAsAccepted(upload)) throw notAnImage();
  const sharp = await loadSharp();
  let format: string | undefined;
  let width: number;
  let height: number;
  let depth: string | undefined;
  let interlaced: boolean | undefined;
  try {
    // Only the header is read here; the cap below answers better than sharp's own limit.
    ({
      format,
      width,
      height,
      depth,
      isProgressive: interlaced,
    } = await sharp(upload, { limitInputPixels: false }).metadata());
  } catch {
    throw notAnImage();
  }
  if (!format || !ACCEPTED.has(format)) throw notAnImage();
  // A pixel of an interlaced image counts once per byte of its samples: it is decoded whole, and
  // one of 16-bit samples takes twice the memory, so a 194 KB interlaced 16-bit RGBA PNG of
  // 5000×5000 took 260 MB to decode and two at once (AVATAR_DECODE_CONCURRENCY) more than auth's
  // 512 Mi. Rows that are not interlaced are decoded one after another, whatever their depth:
  // that PNG not interlaced took 72 MB, less than an 8-bit interlaced one of its size (120 MB).
  const weight = interlaced ? (SAMPLE_BYTES[depth ?? 'uchar'] ?? 1) : 1;
  if (width * height * weight > maxPixels) {
    limits.onTooManyPixels?.();
    throw problem(
      'image_unreadable',
      weight === 1
        ? `The image is ${width}×${height} pixels; at most ${maxPixels} pixels are accepted.`
        : `The image is ${width}×${height} interlaced pixels of ${weight * 8}-bit samples, each counted ${weight} times; at most ${maxPixels} pixels of 8-bit samples are accepted (saved without interlacing, each pixel counts once).`,
    );
  }
  if (format === 'jpeg' && jpegScans(upload, MAX_JPEG_SCANS) > MAX_JPEG_SCANS) {
    throw problem(
      'image_unreadable',
      `The JPEG has more than ${MAX_JPEG_SCANS} scans; save it again as a baseline or ordinary progressive JPEG.`,
    );
  }
  limits.onDecode?.();
  try {
    // limitInputPixels again: the limit holds even if the header lied about the size.
    return await sharp(upload, { limitInputPixels: maxPixels, failOn: 'error' })
      // Photos from phones are stored sideways with an orientation tag, which is dropped below.
      .autoOrient()
      .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover' })
      .webp({ quality: 82 })
      .toBuffer();
  } catch {
    throw problem('image_unreadable', 'The image is damaged and cannot be read.');
  }
}
