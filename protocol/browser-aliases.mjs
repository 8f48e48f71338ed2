// Module aliases for bundling the protocol core for a browser or an MV3 service worker:
// @sigstore/* require Node's `crypto` and `util`; these point them at small shims on
// @noble (protocol/src/release/shim/). Used by wxt.config.ts and the browser-bundle test.
import { fileURLToPath } from 'node:url';

const shim = (f) => fileURLToPath(new URL(`./src/release/shim/${f}`, import.meta.url));

export const BROWSER_ALIASES = {
  crypto: shim('node-crypto.ts'),
  util: shim('node-util.ts'),
};
