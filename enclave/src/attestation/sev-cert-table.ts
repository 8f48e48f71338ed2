/**
 * The SEV-SNP certificate table that the host attaches to an extended report and
 * configfs-tsm returns as `auxblob` (GHCB spec, SNP Extended Guest Request: entries
 * of GUID (16) | offset (4, LE) | length (4, LE), ended by an all-zero entry).
 */
import { MalformedError, toBase64 } from '@sotto/protocol';

/** GUIDs from the GHCB specification, Table "Certificate table GUIDs". */
const VCEK_GUID = '63da758d-e664-4564-adc5-f4b93be8accd';
const VLEK_GUID = 'a8074bc2-a25a-483e-aae6-39c045a0b8a1';
const ASK_GUID = '4ab7b379-bbac-4fe4-a02f-05aef327c782';
const ARK_GUID = 'c0b406a4-a803-4952-9743-3fb6014cd0ae';

const ENTRY_BYTES = 24;
const MAX_ENTRIES = 64;

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The table's GUIDs are in the little-endian (EFI) layout; also accept big-endian bytes. */
function guidStrings(b: Uint8Array): string[] {
  const be = hex(b);
  const le =
    hex(b.slice(0, 4).reverse()) +
    hex(b.slice(4, 6).reverse()) +
    hex(b.slice(6, 8).reverse()) +
    hex(b.slice(8));
  const fmt = (h: string) =>
    `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return [fmt(le), fmt(be)];
}

export interface SevCertificates {
  vcek?: Uint8Array;
  vlek?: Uint8Array;
  ask?: Uint8Array;
  ark?: Uint8Array;
}

/** @throws MalformedError when an entry points outside the table or the table has no end. */
export function parseSevCertTable(table: Uint8Array): SevCertificates {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out: SevCertificates = {};
  for (let i = 0; ; i++) {
    if (i >= MAX_ENTRIES) throw new MalformedError('certificate table has too many entries');
    const at = i * ENTRY_BYTES;
    if (at + ENTRY_BYTES > table.length)
      throw new MalformedError('certificate table has no end entry');
    const guid = table.subarray(at, at + 16);
    const offset = view.getUint32(at + 16, true);
    const length = view.getUint32(at + 20, true);
    if (guid.every((x) => x === 0) && offset === 0 && length === 0) return out;
    if (offset + length > table.length)
      throw new MalformedError('certificate table entry out of range');
    const der = table.slice(offset, offset + length);
    const names = guidStrings(guid);
    if (names.includes(VCEK_GUID)) out.vcek = der;
    else if (names.includes(VLEK_GUID)) out.vlek = der;
    else if (names.includes(ASK_GUID)) out.ask = der;
    else if (names.includes(ARK_GUID)) out.ark = der;
  }
}

/** Builds a table (the host's side; used by tests that stand in for the kernel). */
export function buildSevCertTable(
  certs: { guid: 'vcek' | 'ask' | 'ark'; der: Uint8Array }[],
): Uint8Array {
  const guids = { vcek: VCEK_GUID, ask: ASK_GUID, ark: ARK_GUID };
  const headerBytes = (certs.length + 1) * ENTRY_BYTES;
  const total = headerBytes + certs.reduce((n, c) => n + c.der.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let data = headerBytes;
  certs.forEach((c, i) => {
    const h = guids[c.guid].replaceAll('-', '');
    const be = Uint8Array.from(h.match(/../g)!.map((x) => Number.parseInt(x, 16)));
    const le = new Uint8Array([
      ...be.slice(0, 4).reverse(),
      ...be.slice(4, 6).reverse(),
      ...be.slice(6, 8).reverse(),
      ...be.slice(8),
    ]);
    out.set(le, i * ENTRY_BYTES);
    view.setUint32(i * ENTRY_BYTES + 16, data, true);
    view.setUint32(i * ENTRY_BYTES + 20, c.der.length, true);
    out.set(c.der, data);
    data += c.der.length;
  });
  return out;
}

export function derToPem(der: Uint8Array): string {
  const b64 = toBase64(der)
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
