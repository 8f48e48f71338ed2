/**
 * The real stack for one browser test file: an enclave process with the test
 * model, the relay process, and recording TCP proxies on both sides of the
 * relay (browser ↔ relay, relay ↔ enclave) so a test can prove what crossed
 * each boundary. The enclave can be killed and restarted on the same port, with
 * its data dir (and so its dev signing key, which the extension pins) kept, as a
 * real restart keeps `.data/enclave` — or replaced, as a different enclave would be.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EnclaveProcess, startEnclave } from '../../../enclave/test/support/enclave-process';
import { type RecordingProxy, startRecordingProxy } from '../../support/recording-proxy';
import { type RelayProcess, startRelayProcess } from '../../support/relay-process';

export interface BrowserStack {
  enclave: EnclaveProcess;
  enclaveProxy: RecordingProxy;
  relay: RelayProcess;
  /** What the extension is told the relay is: the recording proxy in front of it. */
  clientProxy: RecordingProxy;
  /** Output of every enclave process this stack started (restarts included). */
  enclaveOutput(): string;
  /**
   * Starts a new enclave process on the same port (new key, new evidence). The same
   * data dir (dev signing key) unless `newDataDir`: then another dev key, as if another
   * machine answered at that address.
   */
  restartEnclave(options?: { newDataDir?: boolean }): Promise<EnclaveProcess>;
  stop(): Promise<void>;
}

const portOf = (url: string) => Number(new URL(url).port);

export async function startBrowserStack(
  enclaveEnv: Record<string, string> = {},
): Promise<BrowserStack> {
  const outputs: (() => string)[] = [];
  const dataDir = () => mkdtempSync(join(tmpdir(), 'sotto-enclave-'));
  let env = { SOTTO_DATA_DIR: dataDir(), ...enclaveEnv };
  let enclave = await startEnclave(env);
  outputs.push(enclave.output);
  const port = portOf(enclave.url);
  const enclaveProxy = await startRecordingProxy({ host: '127.0.0.1', port });
  const relay = await startRelayProcess({
    SOTTO_ENCLAVES: enclaveProxy.url,
    SOTTO_HEALTH_INTERVAL: '300ms',
  });
  const clientProxy = await startRecordingProxy({ host: '127.0.0.1', port: portOf(relay.url) });
  const stack: BrowserStack = {
    enclave,
    enclaveProxy,
    relay,
    clientProxy,
    enclaveOutput: () => outputs.map((o) => o()).join('\n'),
    async restartEnclave(options = {}) {
      await enclave.stop('SIGKILL');
      if (options.newDataDir) env = { ...env, SOTTO_DATA_DIR: dataDir() };
      enclave = await startEnclave({ ...env, SOTTO_ENCLAVE_PORT: String(port) });
      outputs.push(enclave.output);
      stack.enclave = enclave;
      return enclave;
    },
    async stop() {
      await clientProxy.close();
      await relay.stop();
      await enclaveProxy.close();
      await enclave.stop();
    },
  };
  return stack;
}

/** Resolves when the relay writes a JSON log line, after the first `skip`, that matches `pred`. */
export function waitForRelayLog(
  relay: RelayProcess,
  pred: (l: Record<string, unknown>) => boolean,
  skip = 0,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = relay.logs().slice(skip).find(pred);
      if (!found) return false;
      relay.child.stdout?.off('data', onData);
      relay.child.stderr?.off('data', onData);
      relay.child.off('exit', onExit);
      // The line reader sees the chunk after this listener: check again on the next turn.
      resolve(found);
      return true;
    };
    const onData = () => setImmediate(check);
    const onExit = () => reject(new Error(`relay exited:\n${relay.output()}`));
    relay.child.stdout?.on('data', onData);
    relay.child.stderr?.on('data', onData);
    relay.child.once('exit', onExit);
    check();
  });
}
