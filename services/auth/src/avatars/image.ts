import { HttpProblem, problems } from '@platform/http';
import sharp from 'sharp';

export const AVATAR_SIZE = 256;
export const AVATAR_TYPE = 'image/webp';
const ACCEPTED = new Set(['png', 'jpeg', 'webp']);
/** Decoding is the expensive part: 40 megapixels is ample for a photo and caps the memory used. */
const MAX_PIXELS = 40_000_000;

const notAnImage = () =>
  problems.unsupportedMediaType('The file must be a PNG, JPEG or WebP image.');

/**
 * Re-encodes an upload as a square WebP. The type comes from the bytes, never from the client's
 * content type or file name, and only pixels survive: sharp writes no EXIF (location, camera),
 * ICC or XMP unless asked to, and a crafted file's other contents cannot reach the output.
 */
export async function toAvatar(upload: Buffer): Promise<Buffer> {
  let format: string | undefined;
  let pixels: number;
  try {
    const meta = await sharp(upload).metadata();
    format = meta.format;
    pixels = (meta.width ?? 0) * (meta.height ?? 0);
  } catch {
    throw notAnImage();
  }
  if (!format || !ACCEPTED.has(format)) throw notAnImage();
  if (pixels > MAX_PIXELS) {
    throw new HttpProblem(422, `The image has more than ${MAX_PIXELS} pixels.`);
  }
  try {
    return await sharp(upload, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
      // Photos from phones are stored sideways with an orientation tag, which is dropped below.
      .autoOrient()
      .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover' })
      .webp({ quality: 82 })
      .toBuffer();
  } catch {
    throw new HttpProblem(422, 'The image is damaged and cannot be read.');
  }
}
