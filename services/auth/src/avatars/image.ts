import { problems } from '@platform/http';
import type Sharp from 'sharp';
import { problem } from '../errors.ts';

export const AVATAR_SIZE = 256;
export const AVATAR_TYPE = 'image/webp';
const ACCEPTED = new Set(['png', 'jpeg', 'webp']);

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
  const sharp = await loadSharp();
  let format: string | undefined;
  let width: number;
  let height: number;
  try {
    // Only the header is read here; the cap below answers better than sharp's own limit.
    ({ format, width, height } = await sharp(upload, { limitInputPixels: false }).metadata());
  } catch {
    throw notAnImage();
  }
  if (!format || !ACCEPTED.has(format)) throw notAnImage();
  if (width * height > maxPixels) {
    limits.onTooManyPixels?.();
    throw problem(
      'image_unreadable',
      `The image is ${width}×${height} pixels; at most ${maxPixels} pixels are accepted.`,
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
