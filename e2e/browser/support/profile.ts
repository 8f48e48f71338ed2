/**
 * The extension's storage as it lies on disk in a Chromium profile: its
 * IndexedDB LevelDB folder and blob store, `chrome.storage` folders, and the
 * shared web-storage and service-worker folders. (The profile's own browsing
 * history and cache hold the pages the test visited, so they are left out.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const SHARED = ['Local Storage', 'Session Storage', 'Service Worker', 'Extension State', 'Storage'];

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
}

/** Files of the extension's storage in `profileDir` (relative paths), with their bytes. */
export function extensionStorageFiles(
  profileDir: string,
  extensionId: string,
): { path: string; bytes: Buffer }[] {
  const root = join(profileDir, 'Default');
  const files: string[] = [];
  for (const name of existsSync(root) ? readdirSync(root) : []) {
    const p = join(root, name);
    if (name.includes(extensionId) || SHARED.includes(name)) walk(p, files);
    else if (statSync(p).isDirectory()) {
      // `IndexedDB/chrome-extension_<id>_0.indexeddb.leveldb`, `Local Extension Settings/<id>`, …
      for (const sub of readdirSync(p)) if (sub.includes(extensionId)) walk(join(p, sub), files);
    }
  }
  return files.map((f) => ({ path: relative(profileDir, f), bytes: readFileSync(f) }));
}
