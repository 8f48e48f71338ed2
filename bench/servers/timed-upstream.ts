/**
 * BENCH-ONLY stand-in enclave for the relay benchmark: it answers `POST /v1/ohttp` with a
 * stream of fixed-size records, one every `intervalMs`, each written the moment it is due, and
 * remembers when it wrote each one. The relay only forwards bytes, so this isolates the relay's
 * own cost from inference. Each record names its stream and sequence number; the client looks
 * the send time up when the record arrives (same process, same clock).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** About one sealed token-batch chunk of a real answer. */
export const RECORD_BYTES = 160;

export interface TimedUpstream {
  url: string;
  /** Send time (performance.now()) of record `seq` of stream `id`. */
  sentAt(id: number, seq: number): number | undefined;
  forget(id: number): void;
  close(): Promise<void>;
}

export function encodeRecord(id: number, seq: number): Buffer {
  const b = Buffer.alloc(RECORD_BYTES, 0x2e);
  b.write(`${String(id).padStart(6, '0')}:${String(seq).padStart(6, '0')}`, 0, 'latin1');
  return b;
}

export function decodeRecord(b: Buffer): { id: number; seq: number } {
  const text = b.toString('latin1', 0, 13);
  return { id: Number(text.slice(0, 6)), seq: Number(text.slice(7, 13)) };
}

export async function startTimedUpstream(
  chunks: number,
  intervalMs: number,
): Promise<TimedUpstream> {
  const sent = new Map<number, number[]>();
  const server: Server = createServer({ noDelay: true }, (req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/ohttp') {
      res.writeHead(404).end();
      return;
    }
    // The relay passes on no custom header, so the stream id travels in the body: one key-id
    // byte (as in an OHTTP request header), then the id in ASCII digits.
    const body: Buffer[] = [];
    req.on('data', (b: Buffer) => body.push(b));
    req.on('end', () => {
      const times: number[] = [];
      const streamId = Number(Buffer.concat(body).toString('latin1', 1));
      sent.set(streamId, times);
      res.writeHead(200, {
        'content-type': 'message/ohttp-chunked-res',
        'cache-control': 'no-store',
      });
      res.flushHeaders();
      let seq = 0;
      const started = performance.now();
      const tick = () => {
        if (res.destroyed) return;
        times[seq] = performance.now();
        res.write(encodeRecord(streamId, seq));
        seq++;
        if (seq >= chunks) {
          res.end();
          return;
        }
        // Schedule against the start time, so lateness does not accumulate.
        setTimeout(tick, Math.max(0, started + seq * intervalMs - performance.now()));
      };
      tick();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sentAt: (id, seq) => sent.get(id)?.[seq],
    forget: (id) => void sent.delete(id),
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
