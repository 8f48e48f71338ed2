/**
 * A hostile relay for issue 6 flow 7: an HTTP proxy in front of the real relay
 * that passes everything through, except that it tampers with the evidence
 * bundle of `GET /v1/evidence` — one flipped bit in the signed report, or the
 * key config swapped for an attacker's key.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeKeyConfig, encodeKeyConfigList, generateKeyConfig } from '@sotto/protocol';

export type Tampering = 'flip-report-bit' | 'swap-key-config';

export interface TamperProxy {
  url: string;
  port: number;
  /** Evidence bundles altered so far. */
  tampered(): number;
  setMode(mode: Tampering): void;
  close(): Promise<void>;
}

function tamper(body: string, mode: Tampering): string {
  const bundle = JSON.parse(body) as { report: string; keyConfig?: string; keyConfigs?: string };
  if (mode === 'flip-report-bit') {
    const report = Buffer.from(bundle.report, 'base64');
    // The first byte of REPORT_DATA (dev report layout: 0x50, 64 bytes), which the signature covers.
    report[0x50] = (report[0x50] ?? 0) ^ 0x01;
    bundle.report = report.toString('base64');
  } else if (bundle.keyConfigs !== undefined) {
    // v2: an `application/ohttp-keys` list; the key id follows the 2-byte length.
    const attacker = generateKeyConfig(Buffer.from(bundle.keyConfigs, 'base64')[2] ?? 1);
    bundle.keyConfigs = Buffer.from(encodeKeyConfigList([attacker.config])).toString('base64');
  } else {
    const attacker = generateKeyConfig(Buffer.from(bundle.keyConfig ?? '', 'base64')[0] ?? 1);
    bundle.keyConfig = Buffer.from(encodeKeyConfig(attacker.config)).toString('base64');
  }
  return JSON.stringify(bundle);
}

export async function startTamperProxy(relayUrl: string, mode: Tampering): Promise<TamperProxy> {
  const target = new URL(relayUrl);
  let current = mode;
  let count = 0;
  const server: Server = createServer((req, res) => {
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        if (
          req.method === 'GET' &&
          req.url?.startsWith('/v1/evidence') &&
          upRes.statusCode === 200
        ) {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => {
            const body = tamper(Buffer.concat(chunks).toString('utf8'), current);
            count++;
            const headers = { ...upRes.headers, 'content-length': String(Buffer.byteLength(body)) };
            delete headers['transfer-encoding'];
            delete headers.etag;
            res.writeHead(200, headers);
            res.end(body);
          });
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tampered: () => count,
    setMode: (m) => {
      current = m;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
