import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Balancer } from './balancer.ts';

/** Every address a host name stands for. */
export type Lookup = (hostname: string) => Promise<string[]>;

export const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((a) => a.address);

export interface Discovery {
  /** Resolves every name once more and updates the balancers. */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Docker Compose and a Kubernetes headless Service give every replica of a service one name;
 * balancing per instance needs each address behind it. Names are looked up again every
 * `intervalMs`, so replicas that start or stop join and leave, while those that stay keep their
 * health and in-flight counts. A failed lookup keeps the addresses last seen: a DNS hiccup must
 * not take a healthy service out.
 */
export function discover(
  targets: ReadonlyArray<{ balancer: Balancer; urls: readonly string[] }>,
  options: { lookup: Lookup; intervalMs: number; onError: (error: unknown, host: string) => void },
): Discovery {
  const lastSeen = new Map<string, string[]>();

  const expand = async (url: string): Promise<string[]> => {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return [parsed.origin];
    try {
      const addresses = await options.lookup(host);
      if (addresses.length === 0) throw new Error(`${host} has no addresses`);
      const origins = addresses.map((address) => {
        const resolved = new URL(parsed.origin);
        resolved.hostname = isIP(address) === 6 ? `[${address}]` : address;
        return resolved.origin;
      });
      lastSeen.set(url, origins);
      return origins;
    } catch (error) {
      options.onError(error, host);
      return lastSeen.get(url) ?? [];
    }
  };

  const refresh = async () => {
    await Promise.all(
      targets.map(async ({ balancer, urls }) => {
        const origins = (await Promise.all(urls.map(expand))).flat();
        if (!stopped) balancer.setUrls(origins);
      }),
    );
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const named = targets.some(({ urls }) =>
    urls.some((url) => !isIP(new URL(url).hostname.replace(/^\[|\]$/g, ''))),
  );
  const loop = () => {
    timer = setTimeout(() => void refresh().finally(() => !stopped && loop()), options.intervalMs);
    timer.unref();
  };
  // Addresses never change: nothing to look up again.
  if (named) loop();
  return {
    refresh,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
