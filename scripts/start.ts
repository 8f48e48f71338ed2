/**
 * `npm start`: checks that a first run can work (the model source, the ports) before
 * anything is built, builds the extension for the relay it starts (its default relay
 * and host permission), starts one enclave and the relay, waits until both answer,
 * and prints the exact next steps. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigurationError } from '@sotto/protocol';
import { loadConfig } from '../enclave/src/config';
import { checkModelSource, checkPortFree, relayPlan, StartCheckError } from './start-checks';

/** A real instruct model for real use; downloaded once into the enclave's cache. */
const DEFAULT_MODEL = 'hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M';
const root = resolve(import.meta.dirname, '..');
const env = { ...process.env };
env.SOTTO_MODEL ||= DEFAULT_MODEL;
env.SOTTO_ENCLAVE_PORT ||= '8788';
let plan: ReturnType<typeof relayPlan>;
try {
  plan = relayPlan(env);
} catch (e) {
  console.error(`Sotto: ${(e as Error).message}`);
  process.exit(1);
}
env.SOTTO_RELAY_PORT = plan.relayPort;
// The extension is built for this relay; the CLI examples below use it too.
env.SOTTO_RELAY_URL = plan.relayUrl;
env.SOTTO_SYNC_PORT ||= '8789';
env.SOTTO_ENCLAVES ||= `http://127.0.0.1:${env.SOTTO_ENCLAVE_PORT}`;
const relayUrl = plan.relayUrl;
const syncUrl = `http://127.0.0.1:${env.SOTTO_SYNC_PORT}`;
const localRelayUrl = `http://127.0.0.1:${env.SOTTO_RELAY_PORT}`;
/** `SOTTO_OUTPUT_DIR` moves the build (wxt.config.ts); tests use it. */
const extensionDir = resolve(root, env.SOTTO_OUTPUT_DIR || '.output', 'chrome-mv3');

const children: ChildProcess[] = [];
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  ).then(() => process.exit(code));
}

function run(name: string, script: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(
        `\nSotto: the ${name} stopped (${signal ?? `exit ${code}`}); stopping everything.`,
      );
      stopAll(code || 1);
    }
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, what: string): Promise<Response> {
  for (;;) {
    if (stopping) throw new Error('stopped');
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
    if (!children.some((c) => c.exitCode === null)) throw new Error(`${what} did not start`);
  }
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

// Before building anything: a first run without a model, or with a port taken, fails now.
try {
  const enclaveConfig = loadConfig(env);
  console.log(`Sotto: checking the model ${env.SOTTO_MODEL}…`);
  const source = await checkModelSource(env.SOTTO_MODEL, { cacheDir: enclaveConfig.modelCacheDir });
  if (source.kind === 'download') {
    console.log(
      `Sotto: the model is not cached yet; the enclave downloads it from ${source.host}.`,
    );
  }
  await checkPortFree(Number(env.SOTTO_ENCLAVE_PORT), 'SOTTO_ENCLAVE_PORT');
  await checkPortFree(Number(env.SOTTO_RELAY_PORT), 'SOTTO_RELAY_PORT');
} catch (e) {
  if (!(e instanceof StartCheckError) && !(e instanceof ConfigurationError)) throw e;
  console.error(`Sotto cannot start: ${e.message}`);
  process.exit(1);
}

if (existsSync(resolve(root, 'wxt.config.ts'))) {
  console.log(`Sotto: building the extension for the relay at ${relayUrl}…`);
  const build = spawnSync('npm', ['run', 'build:extension'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('Sotto: the extension build failed (see above).');
    process.exit(1);
  }
}

console.log(`Sotto: starting the enclave with model ${env.SOTTO_MODEL}…`);
run('enclave', 'enclave/src/server.ts');
const evidenceRes = await waitFor(
  `http://127.0.0.1:${env.SOTTO_ENCLAVE_PORT}/v1/evidence`,
  'the enclave',
);
const evidence = (await evidenceRes.json()) as {
  platform: string;
  model: { name: string; sha256: string };
};
run('relay', 'backend/src/server.ts');
await waitFor(`${localRelayUrl}/healthz`, 'the relay');
run('sync service', 'backend/src/sync/server.ts');
await waitFor(`${syncUrl}/healthz`, 'the sync service');

const dev = evidence.platform === 'dev';
console.log(`
Sotto is running.
  relay        ${relayUrl}${relayUrl !== localRelayUrl ? `  (listening on ${localRelayUrl})` : ''}
  sync         ${syncUrl}  (${env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded store'})
  model        ${evidence.model.name}
  model sha256 ${evidence.model.sha256}
  attestation  ${evidence.platform}${dev ? '  (DEVELOPMENT: proves no hardware; whoever runs it can read the conversation)' : ''}
  extension    ${existsSync(extensionDir) ? extensionDir : '(extension not built)'}  (built for ${relayUrl})

Next steps:
  1. In Chromium or Chrome, open chrome://extensions, switch on "Developer mode",
     press "Load unpacked" and pick ${extensionDir}
     (loaded before? press its reload button: the build changed).
  2. Click Sotto's toolbar icon (pin it from the puzzle-piece menu) to open the side panel.
  3. Press "Create passkey": your browser asks for your screen lock or security key.
     The passkey unlocks your history; nothing else can.
  4. Ask something.${
    dev
      ? ` This enclave is a development one: the panel explains that and asks once;
     press "Use this development enclave" and your question is sent. Every answer then
     carries the "Development mode" banner.`
      : ''
  }
  From a terminal: npx sotto ask --relay ${relayUrl}${dev ? ' --allow-dev' : ''} "Once upon a time"

Press Ctrl-C to stop.`);
