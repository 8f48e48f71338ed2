/**
 * Test fixtures for the SEV-SNP verifier: the public virtee/sev vectors (read
 * by path from ../shared/vectors, never copied), report mutation helpers, and
 * a forger that builds a self-made AMD-shaped chain (ARK → ASK → VCEK,
 * RSASSA-PSS SHA-384) and re-signs reports with its own P-384 key, using
 * WebCrypto and @peculiar/asn1-x509. (@peculiar/x509's certificate generator
 * needs a global Reflect-metadata polyfill, which the protocol core does not
 * install, so the certificates are assembled from the ASN.1 classes it is
 * built on.)
 */

import { readFileSync } from 'node:fs';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Certificate,
  Extension,
  Extensions,
  Name,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import {
  parseSnpCertificate,
  type SnpAcceptancePolicy,
  snpReasonCodes,
  type SnpTcb,
} from '../src/attest/sev';
import { fromHex } from '../src/bytes';
import { VerificationError } from '../src/errors';

const DIR = new URL('../../../shared/vectors/sev-snp/virtee-sev/', import.meta.url);
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, DIR)));
const text = (name: string) => readFileSync(new URL(name, DIR), 'utf8');

export const vectors = {
  milanReport: () => fromHex(text('report_milan.hex')),
  milanVcek: () => file('vcek_milan.der'),
  turinVcek: () => file('vcek_turin.der'),
  milanChain: () => text('cert_chain_milan'),
  turinChain: () => text('cert_chain_turin'),
  pem: (product: 'milan' | 'genoa' | 'turin', which: 'ark' | 'ask') =>
    text(`builtin_${product}_${which}.pem`),
};

/** Inside every vector certificate's validity (Milan VCEK 2023-04-03..2030-04-03, Turin VCEK 2024-11-06..2031-11-06). */
export const NOW = new Date('2025-06-01T00:00:00Z');

/**
 * The genuine Milan report's own TCB. It is below AMD's bulletins, so the
 * built-in Milan floor refuses the report (policy.ts); tests about another
 * check pass it as an explicit floor, so that check is all they see.
 */
export const MILAN_VECTOR_TCB: SnpTcb = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };

/**
 * Accepts any measurement and REPORT_DATA, and holds Milan to the vector's
 * own TCB: isolates the signature, chain and policy checks.
 */
export const OPEN: SnpAcceptancePolicy = {
  measurements: 'any',
  reportData: 'any',
  minimumTcb: { Milan: MILAN_VECTOR_TCB },
};

/** A copy of `bytes` with `fn` applied to it. */
export function mutate(bytes: Uint8Array, fn: (b: Uint8Array) => void): Uint8Array {
  const b = bytes.slice();
  fn(b);
  return b;
}

/** A copy with the byte at `offset` XORed with `mask`. */
export function flip(bytes: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  return mutate(bytes, (b) => {
    b[offset]! ^= mask;
  });
}

const PSS_PARAMS = fromHex(
  '3039a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130a303020101',
);

const subtle = globalThis.crypto.subtle;

export async function rsaPssKeyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey(
    {
      name: 'RSA-PSS',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-384',
    },
    false,
    ['sign', 'verify'],
  );
}

export async function p384KeyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify']);
}

/**
 * A certificate signed with RSASSA-PSS SHA-384 (salt 48), AMD-style.
 * `subject`/`issuer` are DER Names (copy them from real certificates so name
 * chaining matches); `extensions` are raw extension values by OID.
 */
export async function makeCert(args: {
  subject: Uint8Array;
  issuer: Uint8Array;
  publicKey: CryptoKey;
  signer: CryptoKey;
  extensions?: ReadonlyMap<string, Uint8Array>;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<Uint8Array> {
  const spki = new Uint8Array(await subtle.exportKey('spki', args.publicKey));
  const sigAlg = new AlgorithmIdentifier({
    algorithm: '1.2.840.113549.1.1.10',
    parameters: PSS_PARAMS.slice().buffer,
  });
  const exts = [...(args.extensions ?? new Map()).entries()].map(
    ([oid, value]) =>
      new Extension({ extnID: oid, critical: false, extnValue: new OctetString(value) }),
  );
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array([1]).buffer,
    signature: sigAlg,
    issuer: AsnConvert.parse(args.issuer, Name),
    validity: new Validity({
      notBefore: args.notBefore ?? new Date('2020-01-01T00:00:00Z'),
      notAfter: args.notAfter ?? new Date('2045-01-01T00:00:00Z'),
    }),
    subject: AsnConvert.parse(args.subject, Name),
    subjectPublicKeyInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
    ...(exts.length > 0 ? { extensions: new Extensions(exts) } : {}),
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const signature = await subtle.sign({ name: 'RSA-PSS', saltLength: 48 }, args.signer, tbsDer);
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: sigAlg,
    signatureValue: signature,
  });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** The AMD extensions of a real VCEK, as raw values by OID. */
export function vcekExtensionValues(vcekDer: Uint8Array): Map<string, Uint8Array> {
  const c = parseSnpCertificate(vcekDer);
  const out = new Map<string, Uint8Array>();
  for (const e of c.asn.tbsCertificate.extensions ?? []) {
    out.set(e.extnID, new Uint8Array(e.extnValue.buffer));
  }
  return out;
}

/** Re-signs a report (bytes 0..0x29F) with `key`, writing R and S little-endian at 0x2A0/0x2E8. */
export async function resignReport(report: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const out = report.slice();
  const sig = new Uint8Array(
    await subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, key, out.slice(0, 0x2a0)),
  );
  out.fill(0, 0x2a0, 0x4a0);
  for (let i = 0; i < 48; i++) {
    out[0x2a0 + i] = sig[47 - i]!;
    out[0x2e8 + i] = sig[95 - i]!;
  }
  return out;
}

/** Names (DER) of the real Milan certificates, for forged look-alikes. */
export function milanNames() {
  const ark = parseSnpCertificate(vectors.pem('milan', 'ark'));
  const ask = parseSnpCertificate(vectors.pem('milan', 'ask'));
  const vcek = parseSnpCertificate(vectors.milanVcek());
  return { ark: ark.subject, ask: ask.subject, vcek: vcek.subject };
}

/** A self-made ARK → ASK → VCEK with the Milan names and the real Milan VCEK's extensions. */
export async function forgeMilanChain() {
  const names = milanNames();
  const arkKeys = await rsaPssKeyPair();
  const askKeys = await rsaPssKeyPair();
  const vcekKeys = await p384KeyPair();
  const ark = await makeCert({
    subject: names.ark,
    issuer: names.ark,
    publicKey: arkKeys.publicKey,
    signer: arkKeys.privateKey,
  });
  const ask = await makeCert({
    subject: names.ask,
    issuer: names.ark,
    publicKey: askKeys.publicKey,
    signer: arkKeys.privateKey,
  });
  const vcek = await makeCert({
    subject: names.vcek,
    issuer: names.ask,
    publicKey: vcekKeys.publicKey,
    signer: askKeys.privateKey,
    extensions: vcekExtensionValues(vectors.milanVcek()),
    notBefore: new Date('2023-01-01T00:00:00Z'),
    notAfter: new Date('2030-01-01T00:00:00Z'),
  });
  return { ark, ask, vcek, vcekKeys, arkKeys, askKeys };
}

/**
 * The sorted, distinct reason codes of the refusal `p` ends in. Fails the
 * test when `p` resolves (evidence accepted) or rejects with anything other
 * than a `VerificationError`.
 */
export async function refusalCodes(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    return [...new Set(snpReasonCodes(e))].sort();
  }
  throw new Error('evidence was accepted');
}
