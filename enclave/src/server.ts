/**
 * The enclave process: loads the model, makes its first key and evidence, and
 * serves the gateway on 127.0.0.1. In production this runs inside a confidential
 * VM; here it is a separate process with the same behaviour.
 */
import { resolve } from 'node:path';
import { describeEngine, SottoError } from '@sotto/protocol';
import { installNodeAesGcm } from '@sotto/protocol/node/aes-gcm';
import { createEnclaveServer } from './app';
import { createAttestationProvider } from './attestation';
import { loadConfig } from './config';
import { createEvidenceMaker } from './evidence';
import { createEngine } from './inference/engine';
import { builtInEngineIdentity } from './inference/engine-identity';
import { resolveModelPath } from './inference/model-source';
import { createOpenAiEngine, type GatewayEngine } from './inference/openai-engine';
import { KeyRing } from './keys';
import { createLogger } from './log';
import { loadRelease } from './release';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** How often aggregated request figures are logged. */
const AGGREGATE_INTERVAL_MS = 60_000;

async function main(): Promise<void> {
  // Every AES-128-GCM chunk sealed in OpenSSL synchronously, not as a WebCrypto job.
  installNodeAesGcm();
  const config = loadConfig();
  const log = createLogger(undefined, { detail: config.logDetail });
  if (config.logDetail) {
    console.error(
      'enclave: SOTTO_LOG_DETAIL=1 — per-request sizes, token counts and timings are logged (debugging only)',
    );
  }
  const aggregates = setInterval(() => log.flushAggregates(), AGGREGATE_INTERVAL_MS);
  aggregates.unref();
  const capacity = {
    ...(config.sequences === undefined ? {} : { sequences: config.sequences }),
    ...(config.queueLimit === undefined ? {} : { queueLimit: config.queueLimit }),
    ...(config.contextSize === undefined ? {} : { contextSize: config.contextSize }),
  };
  const engine: GatewayEngine =
    config.engine.kind === 'openai'
      ? await createOpenAiEngine({
          baseUrl: config.engine.baseUrl,
          modelPath: await resolveModelPath(config.modelSpec, { cacheDir: config.modelCacheDir }),
          ...(config.engineModel === undefined ? {} : { modelName: config.engineModel }),
          ...capacity,
        })
      : await createEngine({
          modelSpec: config.modelSpec,
          cacheDir: config.modelCacheDir,
          threads: config.threads,
          ...capacity,
        });
  const identity =
    config.engine.kind === 'openai' ? config.engineImage : await builtInEngineIdentity();
  const provider = await createAttestationProvider(config, REPO_ROOT);
  const release = await loadRelease(
    {
      ...(config.releaseBundlePath && { bundle: config.releaseBundlePath }),
      ...(config.releasePublicKeyPath && { publicKey: config.releasePublicKeyPath }),
    },
    engine.model,
    identity,
  );
  const ring = await KeyRing.create({
    makeEvidence: createEvidenceMaker(
      provider,
      { ...engine.model, contextSize: engine.contextSize },
      release,
    ),
    onRotate: (k) =>
      log.lifecycle({
        event: 'key-rotated',
        keyIds: k.gatewayKeys.map((g) => g.config.keyId).join(','),
      }),
  });
  ring.start(config.keyRotateMs, config.keyGraceMs, (e) =>
    log.lifecycle({
      event: 'key-rotation-failed',
      code: e instanceof SottoError ? e.code : 'internal',
    }),
  );

  const server = createEnclaveServer({
    ring,
    engine,
    queueLimit: engine.queueLimit,
    maxBodyBytes: config.maxBodyBytes,
    log,
    timeouts: config.timeouts,
    ...(config.pacing ? { pacing: config.pacing } : {}),
  });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.lifecycle({
      event: 'listening',
      url: `http://${config.host}:${port}`,
      platform: provider.platform,
      engine: config.engine.kind,
      engineIdentity: identity ? describeEngine(identity) : 'unnamed',
      model: engine.model.name,
      modelSha256: engine.model.sha256,
      measurement: provider.measurement,
      release: release ? release.statement.predicate.version : 'none',
      threads: engine.threads,
      sequences: engine.sequences,
      queueLimit: engine.queueLimit,
      keyIds: ring.currentKeyIds.join(','),
    });
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.lifecycle({ event: 'stopping' });
    ring.stop();
    server.close();
    server.closeAllConnections();
    engine.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  if (e instanceof SottoError) {
    console.error(`enclave: ${e.message}`);
    process.exit(2);
  }
  console.error('enclave: failed to start', e);
  process.exit(1);
});
