/**
 * Test-only enclave for issue 6 flow 9: the real gateway (`createEnclaveServer`),
 * the real key ring and `dev` attestation, the real OHTTP/BHTTP protocol — with
 * one stand-in, the model. Its engine streams a fixed hostile markdown answer
 * (script, event handlers, `javascript:` links, remote images) so the test can
 * prove the side panel renders model output inert. It lives in e2e/ only;
 * nothing in production code can select it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnclaveServer } from '../../../enclave/src/app';
import { createDevProvider } from '../../../enclave/src/attestation/dev';
import { measureCodeBundle } from '../../../enclave/src/attestation/measurement';
import { createEvidenceMaker } from '../../../enclave/src/evidence';
import { KeyRing } from '../../../enclave/src/keys';
import { createLogger } from '../../../enclave/src/log';
import { REPO_ROOT } from '../../../enclave/test/support/enclave-process';

export interface HostileEnclave {
  url: string;
  /** Log lines (JSON) the gateway wrote. */
  output(): string;
  /** Requests the stub model was asked to complete. */
  completions(): number;
  stop(): Promise<void>;
}

/** Starts the gateway on 127.0.0.1 with a model that always answers `answer`, in a few pieces. */
export async function startHostileEnclave(answer: string): Promise<HostileEnclave> {
  const lines: string[] = [];
  let asked = 0;
  const model = {
    name: 'hostile-stub',
    sha256: createHash('sha256').update(answer).digest('hex'),
    path: '',
    sizeBytes: 0,
  };
  const engine = {
    model,
    sequences: 1,
    stats: () => ({ busy: 0, queued: 0 }),
    async *complete() {
      asked++;
      const pieces = answer.match(/[\s\S]{1,16}/g) ?? [];
      for (const text of pieces) yield { type: 'delta' as const, text };
      yield {
        type: 'done' as const,
        finishReason: 'stop' as const,
        usage: { promptTokens: 1, completionTokens: pieces.length, evaluatedPromptTokens: 1 },
      };
    },
  };
  const provider = await createDevProvider({
    dataDir: mkdtempSync(join(tmpdir(), 'sotto-hostile-')),
    measurement: await measureCodeBundle(REPO_ROOT),
  });
  const ring = await KeyRing.create({
    makeEvidence: createEvidenceMaker(provider, { ...model, contextSize: 512 }, undefined),
  });
  const server = createEnclaveServer({
    ring,
    engine: engine as never,
    queueLimit: 4,
    maxBodyBytes: 1024 * 1024,
    log: createLogger((l) => lines.push(l)),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => lines.join('\n'),
    completions: () => asked,
    stop: () =>
      new Promise<void>((r) => {
        ring.stop();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
