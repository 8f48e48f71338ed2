/**
 * @sigstore/* use Node's global `Buffer` (some at module load). Where there is none (a
 * browser, an MV3 service worker) this installs the `buffer` package's, which is the
 * same API. Import it before any @sigstore module; in Node it does nothing.
 */
import { Buffer as BufferPolyfill } from 'buffer/index.js';

const g = globalThis as { Buffer?: unknown };
if (g.Buffer === undefined) g.Buffer = BufferPolyfill;
