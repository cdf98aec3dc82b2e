import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid, black RGB PNG of any size, built by hand: its rows are all zeros, so even 6320×6320
 * (120 MB of pixels) deflates to about 116 KB, the decompression bomb of the avatar report.
 */
export function blackPng(
  width: number,
  height: number,
  rowsStored = height,
  bits = 8,
  interlaced = false,
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  // `bits` per channel, RGB, deflate, no filter, Adam7 interlace or none
  header.set([bits, 2, 0, 0, interlaced ? 1 : 0], 8);
  // Filter byte 0 and black pixels per row; fewer rows than declared make a truncated image.
  // Interlaced, the rows of Adam7's seven passes (an empty pass has none).
  const passes = interlaced
    ? [
        [0, 0, 8, 8],
        [4, 0, 8, 8],
        [0, 4, 4, 8],
        [2, 0, 4, 4],
        [0, 2, 2, 4],
        [1, 0, 2, 2],
        [0, 1, 1, 2],
      ]
    : [[0, 0, 1, 1]];
  const bytes = passes.reduce((sum, [x, y, dx, dy]) => {
    const w = Math.max(0, Math.ceil((width - x!) / dx!));
    const h = Math.max(0, Math.ceil((rowsStored - y!) / dy!));
    return sum + (w ? (1 + (w * 3 * bits) / 8) * h : 0);
  }, 0);
  const rows = Buffer.alloc(bytes);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    // zlib's default level: for these rows of zeros as small as level 9 (6320×6320: 116,488
    // bytes either way), in a third of the CPU (0.19 s against 0.55 s).
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A multipart/form-data body with one file in the field `file`, for `app.inject`. */
export function avatarForm(data: Buffer) {
  const boundary = `----avatar-${Math.random().toString(16).slice(2)}`;
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
          'Content-Type: image/png\r\n\r\n',
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}

/**
 * A grey progressive JPEG built by hand whose every scan after the first is empty: an AC scan
 * coding one end-of-band run over all blocks (~35 bytes each), repeated `scans` times. libjpeg
 * only warns that the band repeats, and passes over every block each time: the scan bomb.
 */
export function emptyScansJpeg(width: number, height: number, scans: number): Buffer {
  const segment = (marker: number, payload: number[] | Buffer) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, Buffer.from(payload)]);
  };
  // Bits to bytes, padded with 1s, an FF byte stuffed with 00 as entropy-coded data must be.
  const entropy = (bits: number[]) => {
    const padded = [...bits, ...Array((8 - (bits.length % 8)) % 8).fill(1)];
    const bytes: number[] = [];
    for (let i = 0; i < padded.length; i += 8) {
      const byte = padded.slice(i, i + 8).reduce((n, bit) => n * 2 + bit, 0);
      bytes.push(byte, ...(byte === 0xff ? [0] : []));
    }
    return Buffer.from(bytes);
  };
  const size = Buffer.alloc(5);
  size.writeUInt8(8, 0);
  size.writeUInt16BE(height, 1);
  size.writeUInt16BE(width, 3);
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  // One EOB14 symbol (code 0) and its 14 extra bits of ones: a run of 32 767 blocks.
  const runs = Array.from({ length: Math.ceil(blocks / 32_767) }, () => [0, ...Array(14).fill(1)]);
  const emptyScan = Buffer.concat([segment(0xda, [1, 1, 0x00, 1, 63, 0]), entropy(runs.flat())]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xdb, [0, ...Array(64).fill(1)]),
    segment(0xc2, [...size, 1, 1, 0x11, 0]),
    // DC table 0 and AC table 0, each one symbol with the one-bit code 0: DC difference 0, EOB14.
    segment(0xc4, [0x00, 1, ...Array(15).fill(0), 0x00]),
    segment(0xc4, [0x10, 1, ...Array(15).fill(0), 0xe0]),
    // The DC scan: a difference of 0 for every block.
    segment(0xda, [1, 1, 0x00, 0, 0, 0]),
    entropy(Array(blocks).fill(0)),
    ...Array(scans).fill(emptyScan),
    Buffer.from([0xff, 0xd9]),
  ]);
}
