/**
 * `npm start`: builds the extension, starts one enclave and the relay, waits until
 * both answer, and prints what to load and where. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** A real instruct model for real use; downloaded once into the enclave's cache. */
const DEFAULT_MODEL = 'hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M';
const root = resolve(import.meta.dirname, '..');
const env = { ...process.env };
env.SOTTO_MODEL ||= DEFAULT_MODEL;
env.SOTTO_ENCLAVE_PORT ||= '8788';
env.SOTTO_RELAY_PORT ||= '8787';
env.SOTTO_SYNC_PORT ||= '8789';
env.SOTTO_ENCLAVES ||= `http://127.0.0.1:${env.SOTTO_ENCLAVE_PORT}`;
const relayUrl = `http://127.0.0.1:${env.SOTTO_RELAY_PORT}`;
const syncUrl = `http://127.0.0.1:${env.SOTTO_SYNC_PORT}`;
const extensionDir = resolve(root, '.output/chrome-mv3');

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

if (existsSync(resolve(root, 'wxt.config.ts'))) {
  console.log('Sotto: building the extension…');
  const build = spawnSync('npm', ['run', 'build:extension'], { cwd: root, stdio: 'inherit' });
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
await waitFor(`${relayUrl}/healthz`, 'the relay');
run('sync service', 'backend/src/sync/server.ts');
await waitFor(`${syncUrl}/healthz`, 'the sync service');

const dev = evidence.platform === 'dev';
console.log(`
Sotto is running.
  relay        ${relayUrl}
  sync         ${syncUrl}  (${env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded store'})
  model        ${evidence.model.name}
  model sha256 ${evidence.model.sha256}
  attestation  ${evidence.platform}${dev ? '  (DEVELOPMENT: no hardware proof; clients must enable development mode)' : ''}
  extension    load ${existsSync(extensionDir) ? extensionDir : '(extension not built yet)'} as an unpacked extension
               (chrome://extensions → Developer mode → Load unpacked)
  try it       npx sotto ask --relay ${relayUrl}${dev ? ' --allow-dev' : ''} "Once upon a time"

Press Ctrl-C to stop.`);
