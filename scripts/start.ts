/**
 * `npm start`: builds the extension, starts one enclave and the relay, and prints
 * what to load and where. Until the enclave and relay land, it says so plainly.
 */
import { existsSync } from 'node:fs';

const missing = ['enclave/src/server.ts', 'backend/src/server.ts'].filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.log('Sotto: the enclave and relay are not built yet (missing: %s).', missing.join(', '));
  console.log('Run `npm test` to check the protocol core.');
  process.exit(0);
}
