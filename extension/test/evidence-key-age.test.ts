/**
 * The worker's evidence service and the key-age rule: v2 dev evidence (served over HTTP
 * on 127.0.0.1) for a key made at T0 is accepted while the key is young, served from the
 * cache while it stays young, and once it is older than rotation + grace (2 h) the cache
 * no longer hides it: the service re-verifies and the `key-age` check refuses it. The
 * clock is passed in, never read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  computeReportDataV2,
  encodeKeyConfigList,
  evidenceV2ToJson,
  generateDevSigner,
  generateKeyConfig,
  NO_RELEASE,
  ReleaseRefusedError,
  signDevReport,
} from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../src/messaging';
import { EvidenceService } from '../src/services/evidence';
import { DEFAULT_SETTINGS } from '../src/services/settings';

const T0 = Date.parse('2026-11-01T12:00:00Z');
const MIN = 60_000;
let server: Server;
let relayUrl: string;
let served = 0;

beforeAll(async () => {
  const { signer } = await generateDevSigner();
  const keyConfigs = encodeKeyConfigList([generateKeyConfig(4).config]);
  const model = { name: 'stories260K', sha256: new Uint8Array(32).fill(1), contextSize: 512 };
  const keyCreatedAt = new Date(T0);
  const report = await signDevReport(signer, {
    measurement: new Uint8Array(48).fill(0xab),
    reportData: computeReportDataV2({
      keyConfigs,
      model,
      releaseStatementSha256: NO_RELEASE,
      keyCreatedAt,
    }),
    timestamp: keyCreatedAt,
  });
  const body = JSON.stringify(
    evidenceV2ToJson({
      platform: 'dev',
      report,
      certificates: { devKey: signer.publicKeySpki },
      keyConfigs,
      model,
      release: {},
      keyCreatedAt,
    }),
  );
  server = createServer((_req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  relayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('evidence service and key age', () => {
  it('accepts a young key, caches it while young, and re-verifies and refuses it once stale', async () => {
    let now = T0 + 90 * MIN;
    const settings: Settings = { ...DEFAULT_SETTINGS, relayUrl, developmentMode: true };
    const service = new EvidenceService({ settings: async () => settings, now: () => now });
    expect((await service.current()).summary.keyAgeSeconds).toBe(90 * 60);
    now = T0 + 110 * MIN;
    await service.current();
    expect(served).toBe(1);
    // 31 min after verifying: the hourly re-check is not due, but the key is now too old.
    now = T0 + 121 * MIN;
    const refused = await service.current().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(served).toBe(2);
    expect(refused).toBeInstanceOf(ReleaseRefusedError);
    expect((refused as ReleaseRefusedError).check).toBe('key-age');
  });
});
