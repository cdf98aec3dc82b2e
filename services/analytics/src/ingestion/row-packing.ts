import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * A row's text as the queue stores it: Brotli at quality 2 with a window the row's size
 * (windowBits), ~180 µs for a 500-event `/track-event` row of ~43 KB measured alone (0.8 ms
 * inside the service, where its blocks are fresh mappings: windowBits), which becomes ~6.7 KB.
 * Quality 1 is ~50 µs cheaper but leaves ~7.8 KB, a hair under what fits a heap page (migration
 * 0018: ~8 KB with the row's other columns), so richer rows would spill; deflate at level 1
 * costs as much as quality 2 for 9 KB.
 * A row that fits stays whole in its heap page: PostgreSQL no longer cuts ~22 TOAST chunks out
 * of it, indexes, WAL-logs and deletes them, and the socket carries a sixth of the bytes. The
 * writer takes rows from memory (writer-cache.ts): they are read back only after a crash or a
 * refusal (unpacking such a row costs ~70 µs).
 */
const packing = (text: string) => ({
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 2,
    [constants.BROTLI_PARAM_SIZE_HINT]: text.length,
    [constants.BROTLI_PARAM_LGWIN]: windowBits(text.length),
  },
});

/**
 * The smallest Brotli window that holds the whole row (a window is 2^bits − 16 bytes). With the
 * default, 22 bits, the encoder also allocated a ~4 MB ring buffer per row; its blocks are above
 * glibc's mmap threshold (128 KiB, fixed for idle memory: docs/performance.md), so each is a
 * fresh mapping whose pages fault in at ~14 µs each on this machine. Sized to a ~32 KB row
 * (measured alone, with the service's malloc settings): ~41 → 32 faults and ~1.0–1.5 → 0.8–0.95
 * ms of CPU per row, the same bytes out (docs/measurements/analytics-ingestion.md, session 28).
 * Counted in characters, not bytes: a row of multi-byte text gets a window short of its byte
 * length, which only costs matches further back than that.
 */
const windowBits = (chars: number) =>
  Math.min(
    constants.BROTLI_MAX_WINDOW_BITS,
    Math.max(constants.BROTLI_MIN_WINDOW_BITS, Math.ceil(Math.log2(chars + 16))),
  );

export const packRow = (text: string): Buffer => brotliCompressSync(text, packing(text));

/**
 * Rows of up to this many characters are packed in line (a 500-event row of ~43 KB: ~0.18 ms);
 * larger ones on libuv's thread pool. A client's largest row (500 events of 8 KB of properties
 * Brotli cannot shrink, ~4 MB) takes 60–140 ms to pack: in line, that stalled every other request
 * of the process for as long (review). At this size the worst case is ~2 ms.
 */
const PACKED_IN_LINE = 64 * 1024;
const packOffLoop = promisify(brotliCompress);

/** packRow, off the event loop for large rows. */
export const packRowAsync = (text: string): Promise<Buffer> =>
  text.length <= PACKED_IN_LINE
    ? Promise.resolve(packRow(text))
    : packOffLoop(text, { ...packing(text), chunkSize: 256 * 1024 });

/** A packed row's text; throws when the bytes are not a Brotli stream. */
export const unpackRow = (packed: Buffer): string => brotliDecompressSync(packed).toString();
