/**
 * Which client a request comes from, for the rate limiter and the connection
 * cap, when the relay may sit behind a reverse proxy or load balancer.
 *
 * The socket's address is the client unless it is one of the configured proxy
 * addresses (`SOTTO_TRUSTED_PROXIES`: addresses or CIDR ranges). Only then are
 * `Forwarded` (RFC 7239 §4, its `for=` parameters) or, failing that,
 * `X-Forwarded-For` read. Each proxy appends the address it received the
 * request from, so the list is walked from the right: the first address that
 * is not itself a trusted proxy is the client. Anything to its left was
 * written by the client and is not believed. A header that does not parse
 * falls back to the socket address (fail closed: the proxy's own bucket).
 *
 * The address is used as an in-memory key only; it is never logged.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** Unifies `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) with `192.0.2.1`. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** The proxy list (`RelayConfig.trustedProxies`, checked by config.ts) as a matcher; `null` when empty. */
export function trustedProxyList(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** One `for=` value of RFC 7239 §6: a quoted `"[v6]:port"`, `v4:port`, a bare address, or `unknown`. */
function forwardedNode(value: string): string | undefined {
  let v = value.trim();
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    v = end === -1 ? '' : v.slice(1, end);
  } else if (isIP(v) === 0 && v.includes(':') && v.indexOf(':') === v.lastIndexOf(':')) {
    v = v.slice(0, v.indexOf(':')); // v4:port
  }
  return isIP(v) === 0 ? undefined : normalizeAddress(v);
}

/** The addresses a header lists, left to right; `undefined` when it does not parse. */
function forwardedChain(req: IncomingMessage): string[] | undefined {
  const forwarded = req.headers.forwarded;
  if (typeof forwarded === 'string' && forwarded.trim() !== '') {
    const chain: string[] = [];
    for (const element of forwarded.split(',')) {
      const pair = element
        .split(';')
        .map((p) => p.trim())
        .find((p) => p.toLowerCase().startsWith('for='));
      if (pair === undefined) return undefined;
      const node = forwardedNode(pair.slice(4));
      if (node === undefined) return undefined;
      chain.push(node);
    }
    return chain;
  }
  const xff = req.headers['x-forwarded-for'];
  const raw = Array.isArray(xff) ? xff.join(',') : xff;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const chain: string[] = [];
  for (const part of raw.split(',')) {
    const node = forwardedNode(part);
    if (node === undefined) return undefined;
    chain.push(node);
  }
  return chain;
}

/** The client a request is from (see the header of this file). */
export function clientAddress(req: IncomingMessage, trusted: BlockList | null): string {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '');
  if (!trusted || !isTrusted(trusted, peer)) return peer;
  const chain = forwardedChain(req);
  if (!chain || chain.length === 0) return peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    if (!isTrusted(trusted, chain[i]!)) return chain[i]!;
  }
  return chain[0]!;
}

/** Whether a socket's peer is a configured proxy (the per-client connection cap skips those). */
export function isTrustedPeer(address: string | undefined, trusted: BlockList | null): boolean {
  return trusted !== null && isTrusted(trusted, normalizeAddress(address ?? ''));
}
