/**
 * A deterministic POSIX ustar archive (POSIX.1-1988 / IEEE 1003.1 "ustar Interchange
 * Format"), written by hand so that nothing but the file names and bytes can reach the
 * output: every entry has mode 0644, uid/gid 0, empty user and group names, mtime 0,
 * and entries are in byte order of their paths. Regular files only; no compression
 * (gzip headers carry an OS byte and a time).
 */

const BLOCK = 512;

function octal(n: number, width: number): string {
  // width - 1 digits and a NUL, as GNU and BSD tar write them.
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(path: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const enc = new TextEncoder();
  let name = path;
  let prefix = '';
  if (enc.encode(path).length > 100) {
    // ustar splits a long path at a slash: prefix (155) '/' name (100).
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || enc.encode(path.slice(cut + 1)).length > 100) {
      throw new Error(`path too long for ustar: ${path}`);
    }
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  const put = (off: number, s: string) => h.set(enc.encode(s), off);
  put(0, name);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(0, 12));
  put(148, '        ');
  put(156, '0');
  put(257, 'ustar\0');
  put(263, '00');
  put(345, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** Archives `files` (relative POSIX paths -> bytes) in byte order of their paths. */
export function ustar(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const paths = [...files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const p of paths) {
    const data = files.get(p)!;
    const padded = Math.ceil(data.length / BLOCK) * BLOCK;
    parts.push(header(p, data.length), data, new Uint8Array(padded - data.length));
    total += BLOCK + padded;
  }
  parts.push(new Uint8Array(2 * BLOCK));
  total += 2 * BLOCK;
  const out = new Uint8Array(total);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}
