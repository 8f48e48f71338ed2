/**
 * Item 8 (issue 18): the per-request cost of X-Wing against X25519, measured the same way in
 * Node and in Chromium (this module is browser-safe; bench/sections/kem.ts bundles it for the
 * page). One round = for each KEM, in rotating order: the client's sealing of a chunked request
 * up to its first byte on the wire (HPKE setup + header + the 1 KiB body sealed), then the
 * gateway's opening of it (header, key lookup, HPKE setup, the body opened). Keys are made
 * once, as a gateway does; only per-request work is timed.
 */
import {
  AEAD_AES_128_GCM,
  createChunkedRequest,
  generateKeyConfig,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  openChunkedRequest,
} from '../../protocol/src/index';

interface PerKem {
  sealMs: number[];
  openMs: number[];
  /**
   * Node only: CPU time (all threads of the process, µs → ms) of seal + open. Unlike wall
   * time it barely grows when other processes hold the cores, so it is the steadier figure
   * on a shared machine.
   */
  cpuMs: number[];
  requestBytes: number;
}

export interface KemTimings {
  runtime: string;
  x25519: PerKem;
  xwing: PerKem;
}

type CpuUsage = () => { user: number; system: number };
const cpuUsage = (globalThis as { process?: { cpuUsage?: CpuUsage } }).process?.cpuUsage;
const cpuNow = () => {
  if (!cpuUsage) return Number.NaN;
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
};

const BODY_BYTES = 1024;

function once(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

export async function runKemTimings(rounds: number, warmup = 5): Promise<KemTimings> {
  const body = crypto.getRandomValues(new Uint8Array(BODY_BYTES));
  const keys = {
    x25519: generateKeyConfig(1, [AEAD_AES_128_GCM], KEM_X25519_HKDF_SHA256),
    xwing: generateKeyConfig(2, [AEAD_AES_128_GCM], KEM_XWING),
  };
  const store = new Map([
    [1, keys.x25519],
    [2, keys.xwing],
  ]);
  const out: KemTimings = {
    runtime: typeof navigator === 'object' ? navigator.userAgent : 'unknown',
    x25519: { sealMs: [], openMs: [], cpuMs: [], requestBytes: 0 },
    xwing: { sealMs: [], openMs: [], cpuMs: [], requestBytes: 0 },
  };
  const names = ['x25519', 'xwing'] as const;
  for (let r = 0; r < warmup + rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const c0 = cpuNow();
      const t0 = performance.now();
      const req = await createChunkedRequest(keys[name].config);
      const sealed = await req.encapsulate(body);
      const t1 = performance.now();
      const opened = await openChunkedRequest(once(sealed), store);
      let n = 0;
      for await (const c of opened.request as unknown as AsyncIterable<Uint8Array>) n += c.length;
      const t2 = performance.now();
      const c1 = cpuNow();
      if (n !== BODY_BYTES) throw new Error('KEM round trip lost bytes');
      if (r >= warmup) {
        out[name].sealMs.push(t1 - t0);
        out[name].openMs.push(t2 - t1);
        out[name].cpuMs.push(c1 - c0);
      }
      out[name].requestBytes = sealed.length;
    }
  }
  return out;
}
