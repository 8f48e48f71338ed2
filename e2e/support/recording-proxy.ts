/**
 * A recording TCP proxy on 127.0.0.1: forwards bytes both ways unchanged and
 * keeps a copy of everything, so a test can prove what crossed a boundary.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface RecordingProxy {
  url: string;
  port: number;
  /** Every byte seen, both directions, in arrival order. */
  recorded(): Buffer;
  /** Open connections whose first client bytes start with `prefix` (e.g. "POST /v1/ohttp"). */
  openRequests(prefix: string): number;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: {
  host: string;
  port: number;
}): Promise<RecordingProxy> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const firstBytes = new Map<Socket, string>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => {
      chunks.push(Buffer.from(d));
      if (!firstBytes.has(client)) firstBytes.set(client, d.subarray(0, 64).toString('latin1'));
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      chunks.push(Buffer.from(d));
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      firstBytes.delete(client);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    recorded: () => Buffer.concat(chunks),
    openRequests: (prefix) => [...firstBytes.values()].filter((f) => f.startsWith(prefix)).length,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
