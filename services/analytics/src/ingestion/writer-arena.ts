/**
 * Memory outside V8's heap for the line protocol the writer's cache keeps (writer-cache.ts), in
 * blocks allocated once and used again. A body waits in the cache from its request's 202 until a
 * pass has written it — under load longer than V8's young generation lives — so kept as a string,
 * each body survived a scavenge and was copied, twice, into the old generation, where only a full
 * collection freed it: most of what the service promoted, and most of its garbage collection
 * (docs/measurements/analytics-ingestion.md, session 29). Kept as a Buffer of its own, its memory
 * was still a fresh allocation per body that V8 counts as external, and the counting started full
 * collections. In blocks that stay, the bytes are written once, sent from where they are, and the
 * memory is used again as soon as every body in a block is given back.
 *
 * The caller gives a slice back (free) only when nothing reads it any more — the cache and every
 * pass that holds its row are done with it (writer-cache.ts) — since its bytes are then written
 * over.
 */
export interface Arena {
  /** The text's UTF-8 bytes copied into a block, or undefined when no block has room for them. */
  put(text: string): Slice | undefined;
  /** Gives a slice's memory back; it must not be read after this. */
  free(slice: Slice): void;
  /** Blocks allocated, in use or spare (tests). */
  readonly blocks: number;
  /** Slices not given back yet (tests). */
  readonly live: number;
}

export interface Slice {
  readonly bytes: Buffer;
  readonly block: Block;
}

export interface Block {
  buf: Buffer;
  used: number;
  /** Slices put in it and not given back yet. */
  live: number;
}

/**
 * 1 MiB blocks, at most 16: a 500-event body is ~75 KB, and the cache keeps at most 50 000
 * events (~8 MB of bodies). What does not fit stays a string, as before.
 */
export function createArena(options: { blockBytes?: number; maxBlocks?: number } = {}): Arena {
  const blockBytes = options.blockBytes ?? 1024 * 1024;
  const maxBlocks = options.maxBlocks ?? 16;
  let current: Block | undefined;
  let spare: Block[] = [];
  let allocated = 0;
  let live = 0;

  const newBlock = (): Block => {
    allocated += 1;
    return { buf: Buffer.allocUnsafeSlow(blockBytes), used: 0, live: 0 };
  };

  /** A block with `bytes` free, or undefined. */
  function room(bytes: number): Block | undefined {
    if (bytes > blockBytes) return undefined;
    if (current && current.used + bytes <= blockBytes) return current;
    if (current && current.live === 0) {
      current.used = 0;
      return current;
    }
    const next = spare.pop() ?? (allocated < maxBlocks ? newBlock() : undefined);
    if (next) current = next;
    return next;
  }

  return {
    put(text) {
      const bytes = Buffer.byteLength(text);
      const block = room(bytes);
      if (!block) return undefined;
      const at = block.used;
      block.buf.write(text, at, bytes, 'utf8');
      block.used += bytes;
      block.live += 1;
      live += 1;
      return { bytes: block.buf.subarray(at, at + bytes), block };
    },
    free(slice) {
      const { block } = slice;
      block.live -= 1;
      live -= 1;
      if (block.live === 0 && block !== current) {
        block.used = 0;
        spare.push(block);
      }
      // Idle: keep one spare block; the others go to the garbage collector (idle memory).
      if (live === 0 && spare.length > 1) {
        allocated -= spare.length - 1;
        spare = spare.slice(0, 1);
      }
    },
    get blocks() {
      return allocated;
    },
    get live() {
      return live;
    },
  };
}
