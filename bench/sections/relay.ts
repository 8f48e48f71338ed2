/**
 * Item 3: the relay's own cost. A stand-in enclave (servers/timed-upstream.ts) emits records on
 * a timer; clients read them directly from it, or through the real relay process
 * (backend/src/server.ts). Added latency per chunk = the relay's percentile minus the direct
 * one, at 1, 50 and 200 concurrent streams, runs interleaved; the relay's RSS is sampled
 * throughout.
 */
import http from 'node:http';
import type { Pinning } from '../lib/cpu-pinning';
import { type Child, cpuMs, rssBytes, startRelay } from '../lib/processes';
import { percentile, round } from '../lib/stats';
import {
  decodeRecord,
  RECORD_BYTES,
  startTimedUpstream,
  type TimedUpstream,
} from '../servers/timed-upstream';

export interface RelayLevel {
  streams: number;
  runs: number;
  samples: number;
  directP50Ms: number;
  directP99Ms: number;
  relayP50Ms: number;
  relayP99Ms: number;
  addedP50Ms: number;
  addedP99Ms: number;
  /** Spread of the added p99 over the paired runs. */
  addedP99RangeMs: [number, number];
  relayPeakRssMiB: number;
  /** Relay RSS after each run at this level (a plateau, not a climb, means no leak). */
  relayRssAfterRunsMiB: number[];
  /** The relay process's CPU time per forwarded chunk, in microseconds. */
  relayCpuPerChunkUs: number;
  /** The relay's CPU time ÷ the wall time of its runs: the share of one core it used. */
  relayBusyShare: number;
}

export interface RelayResult {
  chunksPerStream: number;
  intervalMs: number;
  levels: RelayLevel[];
  relayIdleRssMiB: number;
  relayAfterRssMiB: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** One stream: posts its id, collects per-record latency (arrival − send). */
function stream(base: string, id: number, up: TimedUpstream, out: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = Buffer.concat([Buffer.from([1]), Buffer.from(String(id), 'latin1')]);
    const req = http.request(
      `${base}/v1/ohttp`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'message/ohttp-chunked-req',
          'content-length': String(body.length),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`stream ${id}: status ${res.statusCode}`));
          return;
        }
        let pending: Buffer = Buffer.alloc(0);
        res.on('data', (b: Buffer) => {
          const now = performance.now();
          pending = pending.length ? Buffer.concat([pending, b]) : b;
          while (pending.length >= RECORD_BYTES) {
            const { id: rid, seq } = decodeRecord(pending.subarray(0, RECORD_BYTES));
            const sent = up.sentAt(rid, seq);
            if (sent !== undefined) out.push(now - sent);
            pending = pending.subarray(RECORD_BYTES);
          }
        });
        res.on('end', () => {
          up.forget(id);
          resolve();
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let nextId = 1;

/** `streams` concurrent streams, started over one interval (real streams are not in step). */
async function run(base: string, up: TimedUpstream, streams: number, intervalMs: number) {
  const latencies: number[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < streams; i++) {
    const id = nextId++;
    const delay = (i / streams) * intervalMs;
    all.push(new Promise((r) => setTimeout(r, delay)).then(() => stream(base, id, up, latencies)));
  }
  await Promise.all(all);
  return latencies;
}

export interface RelayOptions {
  levels: number[];
  chunks: number;
  intervalMs: number;
  /** Paired runs per level (after one warm-up pair). */
  runs: (streams: number) => number;
  /** With pinning, the relay gets the server cores, the clients and stand-in upstream the rest. */
  pinning?: Pinning;
}

export async function benchRelay(o: RelayOptions): Promise<RelayResult> {
  const up = await startTimedUpstream(o.chunks, o.intervalMs);
  let relay: Child | undefined;
  try {
    relay = await startRelay([up.url], o.pinning?.server);
    const pid = relay.pid;
    await run(relay.url, up, 5, o.intervalMs); // warm-up: JIT, sockets
    const idle = rssBytes(pid);
    const levels: RelayLevel[] = [];
    for (const streams of o.levels) {
      const direct: number[] = [];
      const relayed: number[] = [];
      const addedP99: number[] = [];
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssBytes(pid));
      }, 25);
      const runs = o.runs(streams);
      let cpu = 0;
      let wall = 0;
      const rssAfterRuns: number[] = [];
      for (let r = 0; r <= runs; r++) {
        const order = r % 2 === 0 ? ['direct', 'relay'] : ['relay', 'direct'];
        const got: Record<string, number[]> = {};
        for (const mode of order) {
          const cpu0 = cpuMs(pid);
          const t0 = performance.now();
          got[mode] = await run(mode === 'relay' ? relay.url : up.url, up, streams, o.intervalMs);
          if (mode === 'relay' && r > 0) {
            cpu += cpuMs(pid) - cpu0;
            wall += performance.now() - t0;
            rssAfterRuns.push(round(rssBytes(pid) / 2 ** 20));
          }
        }
        if (r === 0) continue; // warm-up pair at this concurrency
        direct.push(...got.direct!);
        relayed.push(...got.relay!);
        addedP99.push(percentile(got.relay!, 99) - percentile(got.direct!, 99));
      }
      clearInterval(sampler);
      levels.push({
        streams,
        runs,
        samples: relayed.length,
        directP50Ms: round(percentile(direct, 50)),
        directP99Ms: round(percentile(direct, 99)),
        relayP50Ms: round(percentile(relayed, 50)),
        relayP99Ms: round(percentile(relayed, 99)),
        addedP50Ms: round(percentile(relayed, 50) - percentile(direct, 50)),
        addedP99Ms: round(percentile(relayed, 99) - percentile(direct, 99)),
        addedP99RangeMs: [round(Math.min(...addedP99)), round(Math.max(...addedP99))],
        relayPeakRssMiB: round(peak / 2 ** 20),
        relayRssAfterRunsMiB: rssAfterRuns,
        relayCpuPerChunkUs: round((cpu * 1000) / Math.max(1, relayed.length)),
        relayBusyShare: round(cpu / Math.max(1, wall)),
      });
    }
    return {
      chunksPerStream: o.chunks,
      intervalMs: o.intervalMs,
      levels,
      relayIdleRssMiB: round(idle / 2 ** 20),
      relayAfterRssMiB: round(rssBytes(pid) / 2 ** 20),
    };
  } finally {
    await relay?.stop();
    await up.close();
    agent.destroy();
  }
}
