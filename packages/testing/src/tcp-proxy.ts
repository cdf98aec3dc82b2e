import { type AddressInfo, createServer, connect as dial, type Socket } from 'node:net';

export interface TcpProxyOptions {
  /**
   * Tells a connection's kind from each chunk its client sends while it is not silent, given
   * what it was so far (a startup message's application_name, a request line). Default: none is.
   */
  marks?(chunk: Buffer, marked: boolean): boolean;
  /**
   * Made once per connection: what of the server's bytes reach the client, chunk by chunk (it
   * may keep state: a message can span chunks). Default: all of them.
   */
  fromServer?(): (chunk: Buffer) => Buffer;
}

export interface TcpProxy {
  /** The target's URL with the proxy's loopback address and port in it (no trailing slash). */
  url: string;
  /**
   * The marked connections open now go silent: from then on nothing passes either way and
   * nothing is closed, as when a NAT entry or a firewall's state is dropped, or a host behind an
   * address crashes, and no RST ever comes. With `later`, so does every connection marked from
   * now on (before its first byte passes); else those pass as before.
   */
  silence(options?: { later?: boolean }): void;
  /**
   * The marked connections open now close when their client next sends something, as a
   * connection to a server that went away meanwhile does on its next write; later ones pass.
   */
  reset(): void;
  /** Every open connection goes silent (a crashed host, a dropped route); new ones go to `target`. */
  failOver(target: string): void;
  /** Ends every connection, silent ones too, and stops listening. */
  close(): Promise<void>;
}

/**
 * A TCP proxy on a loopback port to `target` (a URL with a host and port: PostgreSQL's, a
 * service's), whose connections can be made to go silent without a word: for tests of what a
 * dead connection that never says so does to a listener, a held poll or a follower.
 */
export async function tcpProxy(target: string, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  let upstreamUrl = new URL(target);
  const open = new Set<{
    marked: boolean;
    silent: boolean;
    resetting: boolean;
    sockets: Socket[];
  }>();
  let silenceLater = false;
  const proxy = createServer((client) => {
    const upstream = dial(portOf(upstreamUrl), upstreamUrl.hostname);
    const state = { marked: false, silent: false, resetting: false, sockets: [client, upstream] };
    open.add(state);
    const toClient = options.fromServer?.() ?? ((chunk: Buffer) => chunk);
    client.on('data', (chunk: Buffer) => {
      if (state.resetting) {
        client.destroy();
        upstream.destroy();
        return;
      }
      if (!state.silent && options.marks) {
        state.marked = options.marks(chunk, state.marked);
        if (state.marked && silenceLater) state.silent = true;
      }
      if (!state.silent) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!state.silent) client.write(toClient(chunk));
    });
    const end = () => {
      // Silent means silent: not even a close reaches the other side.
      if (state.silent) return;
      open.delete(state);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((proxy.address() as AddressInfo).port);
  return {
    url: url.toString().replace(/\/$/, ''),
    silence(silenceOptions = {}) {
      if (silenceOptions.later) silenceLater = true;
      for (const s of open) if (s.marked) s.silent = true;
    },
    reset() {
      for (const s of open) if (s.marked) s.resetting = true;
    },
    failOver(to) {
      for (const s of open) s.silent = true;
      upstreamUrl = new URL(to);
    },
    async close() {
      for (const s of open) for (const socket of s.sockets) socket.destroy();
      open.clear();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol.startsWith('postgres') ? 5432 : 80;
}
