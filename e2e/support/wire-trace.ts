/**
 * What the relay sees of each answer, and nothing more: a TCP proxy between the
 * relay and an enclave that timestamps every read of enclave → relay bytes, and a
 * parser that turns those bytes into, per `message/ohttp-chunked-res` answer,
 * the list of sealed chunks with their sizes on the wire and arrival times.
 * Parsing uses only what is in the clear: HTTP/1.1 framing (RFC 9112 §7.1) and
 * the chunked OHTTP length prefixes (draft-ietf-ohai-chunked-ohttp-08 §5).
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface WireChunk {
  /** Bytes on the wire: length prefix + sealed chunk. */
  bytes: number;
  /** Arrival time (ms, performance.now) of the read that completed the chunk. */
  at: number;
  final: boolean;
}

export interface AnswerTrace {
  start: number;
  chunks: WireChunk[];
}

interface Read {
  at: number;
  data: Buffer;
}

export interface TracingProxy {
  url: string;
  /** Every chunked OHTTP answer so far, in order of its first byte. */
  traces(nonceBytes: number): AnswerTrace[];
  close(): Promise<void>;
}

export async function startTracingProxy(target: {
  host: string;
  port: number;
}): Promise<TracingProxy> {
  const connections: Read[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    const reads: Read[] = [];
    connections.push(reads);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      reads.push({ at: performance.now(), data: Buffer.from(d) });
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    traces: (nonceBytes) =>
      connections
        .flatMap((reads) => parseConnection(reads, nonceBytes))
        .sort((a, b) => a.start - b.start),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A cursor over one connection's reads that knows when each byte arrived. */
class Cursor {
  #bytes: Buffer;
  #ends: { end: number; at: number }[] = [];
  pos = 0;
  constructor(reads: Read[]) {
    let end = 0;
    for (const r of reads) {
      end += r.data.length;
      this.#ends.push({ end, at: r.at });
    }
    this.#bytes = Buffer.concat(reads.map((r) => r.data));
  }
  get left(): number {
    return this.#bytes.length - this.pos;
  }
  /** When the byte before `pos` arrived. */
  arrivedAt(pos: number): number {
    return this.#ends.find((e) => e.end >= pos)?.at ?? Number.NaN;
  }
  line(): string | undefined {
    const nl = this.#bytes.indexOf('\r\n', this.pos, 'latin1');
    if (nl < 0) return undefined;
    const s = this.#bytes.toString('latin1', this.pos, nl);
    this.pos = nl + 2;
    return s;
  }
  take(n: number): Buffer {
    const b = this.#bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** HTTP/1.1 responses on one connection; chunked OHTTP answers become traces. */
function parseConnection(reads: Read[], nonceBytes: number): AnswerTrace[] {
  const c = new Cursor(reads);
  const out: AnswerTrace[] = [];
  while (c.left > 0) {
    const status = c.line();
    if (status === undefined || !status.startsWith('HTTP/1.1')) break;
    const headers = new Map<string, string>();
    for (let l = c.line(); l !== undefined && l !== ''; l = c.line()) {
      const i = l.indexOf(':');
      headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    // Body bytes with, for each, the position in the connection stream it came from.
    const body: { data: Buffer; pos: number }[] = [];
    if (headers.get('transfer-encoding') === 'chunked') {
      for (;;) {
        const size = Number.parseInt(c.line() ?? '0', 16);
        if (size === 0) {
          c.line();
          break;
        }
        const pos = c.pos;
        body.push({ data: c.take(size), pos });
        c.line();
      }
    } else {
      const n = Number(headers.get('content-length') ?? 0);
      const pos = c.pos;
      body.push({ data: c.take(n), pos });
    }
    if (headers.get('content-type') !== 'message/ohttp-chunked-res') continue;
    out.push(ohttpTrace(body, c, nonceBytes));
  }
  return out;
}

/** Splits a chunked OHTTP response body at its (cleartext) length prefixes. */
function ohttpTrace(
  body: { data: Buffer; pos: number }[],
  c: Cursor,
  nonceBytes: number,
): AnswerTrace {
  const bytes = Buffer.concat(body.map((b) => b.data));
  const posOf = (i: number) => {
    let o = 0;
    for (const b of body) {
      if (i < o + b.data.length) return b.pos + (i - o);
      o += b.data.length;
    }
    return body.at(-1)!.pos + body.at(-1)!.data.length;
  };
  const trace: AnswerTrace = { start: c.arrivedAt(posOf(0) + 1), chunks: [] };
  let i = nonceBytes;
  while (i < bytes.length) {
    const first = bytes[i]!;
    const prefix = 1 << (first >> 6);
    let len = first & 0x3f;
    for (let k = 1; k < prefix; k++) len = len * 256 + bytes[i + k]!;
    if (len === 0) {
      trace.chunks.push({
        bytes: bytes.length - i,
        at: c.arrivedAt(posOf(bytes.length - 1) + 1),
        final: true,
      });
      break;
    }
    const end = i + prefix + len;
    trace.chunks.push({ bytes: end - i, at: c.arrivedAt(posOf(end - 1) + 1), final: false });
    i = end;
  }
  return trace;
}
