// Builds the extension with WXT (root wxt.config.ts) into argv[3], then makes the
// test copy argv[4] (see extension-build.ts for the one manifest change). Run under flock.
import { cpSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'wxt';

const [root, outDir, copy, grant] = process.argv.slice(2);
const noop = () => {};
rmSync(outDir, { recursive: true, force: true });
await build({
  root,
  outDir,
  logger: {
    debug: noop,
    log: noop,
    info: noop,
    warn: noop,
    success: noop,
    error: console.error,
    fatal: console.error,
    level: 0,
  },
});
const staging = `${copy}.tmp`;
rmSync(staging, { recursive: true, force: true });
cpSync(join(outDir, 'chrome-mv3'), staging, { recursive: true });
const manifestPath = join(staging, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
manifest.host_permissions = [...(manifest.host_permissions ?? []), grant];
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
renameSync(staging, copy);
