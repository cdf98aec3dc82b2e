import type { Server } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { addressBlock } from '@platform/http';
import type { Counter } from 'prom-client';

export interface ConnectionCap {
  /** Open connections one client address may hold; the next one is closed at once. */
  perAddress: number;
  /** Proxies (NGINX, the ingress) carry many clients on their connections and cap them there. */
  trustedProxies: string[];
  refused: Counter;
}

/**
 * Sockets are what a slow client holds on to (each waits out its headers or body timeout), so one
 * address gets only so many: a flood of them from one place cannot take every file descriptor.
 */
export function capConnections(server: Server, cap: ConnectionCap) {
  const trusted = proxyAddr.compile(cap.trustedProxies);
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const remote = socket.remoteAddress;
    if (!remote || trusted(remote, 0)) return;
    // An IPv6 client by its /64, as the other per-address limits count it.
    const address = addressBlock(remote);
    const count = (open.get(address) ?? 0) + 1;
    if (count > cap.perAddress) {
      cap.refused.inc();
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = open.get(address)! - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
