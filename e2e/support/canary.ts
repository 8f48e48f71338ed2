/**
 * The privacy canary: a random marker placed in every prompt and page, and a scan
 * that looks for it in every encoding a leak could take (raw, base64 at each of
 * the three alignments, hex, URL-encoded, UTF-16).
 */
import { randomBytes } from 'node:crypto';

export function makeCanary(): string {
  return `CANARY${randomBytes(9).toString('hex').toUpperCase()}`;
}

/** Every byte pattern under which `canary` would show if it leaked. */
export function canaryForms(canary: string): { name: string; bytes: Buffer }[] {
  const raw = Buffer.from(canary, 'utf8');
  const forms: { name: string; bytes: Buffer }[] = [
    { name: 'raw', bytes: raw },
    { name: 'hex', bytes: Buffer.from(raw.toString('hex')) },
    { name: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase()) },
    { name: 'url', bytes: Buffer.from(encodeURIComponent(`${canary} x`).split('%20')[0]!) },
    { name: 'utf16le', bytes: Buffer.from(canary, 'utf16le') },
  ];
  // Base64 of a substring depends on its offset mod 3: cover all three, trimmed to the stable core.
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), raw]);
    const b64 = padded.toString('base64');
    const start = Math.ceil((shift * 4) / 3) + 1;
    const core = b64.slice(start, start + Math.floor((raw.length * 4) / 3) - 4);
    forms.push({ name: `base64+${shift}`, bytes: Buffer.from(core) });
    forms.push({
      name: `base64url+${shift}`,
      bytes: Buffer.from(core.replace(/\+/g, '-').replace(/\//g, '_')),
    });
  }
  return forms;
}

/** Names of the forms of `canary` found in `haystack` (empty: no leak). */
export function findCanary(haystack: Uint8Array | string, canary: string): string[] {
  const buf = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : Buffer.from(haystack);
  return canaryForms(canary)
    .filter((f) => buf.includes(f.bytes))
    .map((f) => f.name);
}
