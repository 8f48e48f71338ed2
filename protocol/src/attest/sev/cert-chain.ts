/**
 * The AMD SEV-SNP certificate chain ARK → ASK → VCEK (AMD pub. 57230 §2, and
 * the SEV-SNP ABI pub. 56860 §2.1 "Key Hierarchy"): the ARK is self-signed and
 * must be byte-equal to the pinned root of the product (roots.ts); the ASK is
 * signed by the ARK and the VCEK by the ASK, all RSASSA-PSS with SHA-384,
 * MGF1-SHA-384, salt 48 (RFC 4055 §3.1); each certificate is checked for
 * validity at an injected `now` (RFC 5280 §4.1.2.5) and issuer/subject
 * chaining (§4.1.2.4). VLEK-signed reports (pub. 57230 §2.3 "VLEK"): the
 * VLEK is signed by the product's ASVK, which is signed by the same pinned
 * ARK; the ASVK is not pinned, so a VLEK chain (ASVK+ARK) must be supplied,
 * and the ARK signature over it is what makes it trusted. A VLEK carries a
 * CSP_ID extension and no HWID; a VCEK the reverse.
 */

import { AsnConvert } from '@peculiar/asn1-schema';
import { equalBytes } from '../../bytes';
import {
  importCertKey,
  isSelfIssued,
  paramsHex,
  parseSnpCertificate,
  pemCertificates,
  productFromVcekName,
  readVcekExtensions,
  type SnpCertificate,
  type VcekExtensions,
} from './certificate';
import {
  EC_P384_PARAMS_HEX,
  OID_EC_PUBLIC_KEY,
  OID_RSASSA_PSS,
  PSS_SALT_LENGTH_BYTES,
  PSS_SHA384_PARAMS_HEX,
  SNP_PRODUCTS,
  type SnpProduct,
} from './constants';
import { failure, type SnpFailure, snpVerificationError } from './reasons';
import { SNP_PINNED_ROOTS } from './roots';

/** An ASK+ARK pair: PEM text holding both (any order), or each as DER/PEM. */
export type SnpChainInput =
  string | { readonly ask: Uint8Array | string; readonly ark: Uint8Array | string };

export interface SnpChainOutcome {
  readonly product: SnpProduct | undefined;
  readonly vcek: SnpCertificate | undefined;
  readonly vcekExtensions: VcekExtensions | undefined;
  /** The VCEK's ECDSA P-384 key, when it could be imported (even if the chain failed). */
  readonly vcekKey: CryptoKey | undefined;
  /** The ASK the VCEK was checked against (given or pinned), once the product is known. */
  readonly ask?: SnpCertificate;
  readonly failures: readonly SnpFailure[];
}

const pinnedCache = new Map<SnpProduct, { ark: SnpCertificate; ask: SnpCertificate }>();

/** The pinned ARK and ASK of a product, parsed. */
export function pinnedSnpChain(product: SnpProduct): { ark: SnpCertificate; ask: SnpCertificate } {
  let c = pinnedCache.get(product);
  if (!c) {
    const pem = SNP_PINNED_ROOTS[product];
    c = { ark: parseSnpCertificate(pem.ark), ask: parseSnpCertificate(pem.ask) };
    pinnedCache.set(product, c);
  }
  return c;
}

function splitChain(chain: SnpChainInput): { ark: SnpCertificate; ask: SnpCertificate } {
  if (typeof chain !== 'string') {
    return { ask: parseSnpCertificate(chain.ask), ark: parseSnpCertificate(chain.ark) };
  }
  const certs = pemCertificates(chain).map((der) => parseSnpCertificate(der));
  if (certs.length !== 2) throw new Error(`chain holds ${certs.length} certificates, expected 2`);
  const roots = certs.filter(isSelfIssued);
  const ark = roots[0];
  const ask = certs.find((c) => !isSelfIssued(c));
  if (roots.length !== 1 || !ark || !ask) throw new Error('chain must hold one ARK and one ASK');
  return { ark, ask };
}

/** RSASSA-PSS/SHA-384/salt 48, and the same AlgorithmIdentifier inside and outside the TBS. */
function checkAlgorithm(c: SnpCertificate, role: string, out: SnpFailure[]): boolean {
  const outer = c.asn.signatureAlgorithm;
  const inner = c.asn.tbsCertificate.signature;
  const ok =
    outer.algorithm === OID_RSASSA_PSS &&
    PSS_SHA384_PARAMS_HEX.includes(paramsHex(outer.parameters)) &&
    equalBytes(
      new Uint8Array(AsnConvert.serialize(outer)),
      new Uint8Array(AsnConvert.serialize(inner)),
    );
  if (!ok) out.push(failure('cert-algorithm', `${role} is not signed with RSASSA-PSS SHA-384`));
  return ok;
}

function checkValidity(c: SnpCertificate, role: string, now: Date, out: SnpFailure[]): void {
  const t = now.getTime();
  if (t < c.notBefore.getTime() || t > c.notAfter.getTime()) {
    out.push(
      failure(
        'cert-validity',
        `${role} valid ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()}, not at ${now.toISOString()}`,
      ),
    );
  }
}

/** Whether `child` carries a valid RSASSA-PSS signature by `parent`'s key. */
async function signedBy(child: SnpCertificate, parent: SnpCertificate): Promise<boolean> {
  try {
    const key = await importCertKey(parent, 'rsa-pss');
    return await globalThis.crypto.subtle.verify(
      { name: 'RSA-PSS', saltLength: PSS_SALT_LENGTH_BYTES },
      key,
      child.signatureValue,
      child.tbs,
    );
  } catch {
    return false;
  }
}

/** v2 reports and VCEKs without a product name: the product whose pinned ASK signed the VCEK. */
async function productBySignature(vcek: SnpCertificate): Promise<SnpProduct | undefined> {
  for (const p of SNP_PRODUCTS) {
    if (await signedBy(vcek, pinnedSnpChain(p).ask)) return p;
  }
  return undefined;
}

function isP384Key(c: SnpCertificate): boolean {
  const alg = c.asn.tbsCertificate.subjectPublicKeyInfo.algorithm;
  return alg.algorithm === OID_EC_PUBLIC_KEY && paramsHex(alg.parameters) === EC_P384_PARAMS_HEX;
}

/**
 * Checks VCEK → ASK → ARK and collects every failure (never throws for bad
 * evidence). `productHint` is the product a v3 report names by CPUID; the
 * VCEK's product-name extension must agree with it. With no hint and no
 * name, the product is the one whose pinned chain signed the VCEK.
 */
export async function checkSnpChain(args: {
  readonly vcek: Uint8Array | string | undefined;
  readonly chain?: SnpChainInput | undefined;
  readonly productHint?: SnpProduct | undefined;
  /** Which key the report says signed it (KEY_INFO SIGNING_KEY). Default `'vcek'`. */
  readonly signingKey?: 'vcek' | 'vlek';
  readonly now: Date;
}): Promise<SnpChainOutcome> {
  const vlek = args.signingKey === 'vlek';
  const role = vlek ? 'VLEK' : 'VCEK';
  const issuerRole = vlek ? 'ASVK' : 'ASK';
  const failures: SnpFailure[] = [];
  const none = { vcek: undefined, vcekExtensions: undefined, vcekKey: undefined };
  if (args.vcek === undefined) {
    failures.push(failure('vcek-missing', 'no VCEK certificate was supplied'));
    return { product: args.productHint, ...none, failures };
  }
  let vcek: SnpCertificate;
  try {
    vcek = parseSnpCertificate(args.vcek);
  } catch {
    failures.push(failure('vcek-malformed', 'the VCEK is not an X.509 certificate'));
    return { product: args.productHint, ...none, failures };
  }
  let ext: VcekExtensions | undefined;
  try {
    ext = readVcekExtensions(vcek);
  } catch {
    failures.push(failure('vcek-extension', 'an AMD extension of the VCEK is badly encoded'));
  }
  const named = productFromVcekName(ext?.productName);
  if (args.productHint && named && args.productHint !== named) {
    failures.push(
      failure('product-mismatch', `report CPUID says ${args.productHint}, VCEK says ${named}`),
    );
  }
  let vcekKey: CryptoKey | undefined;
  if (isP384Key(vcek)) {
    vcekKey = await importCertKey(vcek, 'ecdsa-p384').catch(() => undefined);
  }
  if (!vcekKey) failures.push(failure('vcek-key-algorithm', 'the VCEK key is not ECDSA P-384'));
  if (ext && vlek && ext.cspId === undefined) {
    failures.push(failure('signing-key-mismatch', 'the report is VLEK-signed; this is a VCEK'));
  }
  if (ext && !vlek && ext.cspId !== undefined) {
    failures.push(failure('signing-key-mismatch', 'the report is VCEK-signed; this is a VLEK'));
  }
  if (vlek && args.chain === undefined) {
    failures.push(failure('chain-malformed', 'a VLEK needs its ASVK+ARK chain; none was given'));
    return { product: args.productHint ?? named, vcek, vcekExtensions: ext, vcekKey, failures };
  }

  let chain: { ark: SnpCertificate; ask: SnpCertificate } | undefined;
  if (args.chain !== undefined) {
    try {
      chain = splitChain(args.chain);
    } catch {
      failures.push(failure('chain-malformed', 'the chain must be one ASK and one ARK'));
      return { product: args.productHint ?? named, vcek, vcekExtensions: ext, vcekKey, failures };
    }
  }
  let product = args.productHint ?? named;
  if (!product && chain) {
    product = SNP_PRODUCTS.find((p) => equalBytes(pinnedSnpChain(p).ark.der, chain.ark.der));
  }
  if (!product) product = await productBySignature(vcek);
  if (!product) {
    failures.push(failure('product-unknown', 'no pinned AMD chain matches this VCEK'));
    return { product, vcek, vcekExtensions: ext, vcekKey, failures };
  }
  const pinned = pinnedSnpChain(product);
  const { ark, ask } = chain ?? pinned;

  // ARK: pinned, self-signed (pub. 57230 §2.2).
  if (!equalBytes(ark.der, pinned.ark.der)) {
    failures.push(failure('ark-not-pinned', `the ARK is not the pinned ARK-${product}`));
  }
  if (checkAlgorithm(ark, 'ARK', failures)) {
    if (!isSelfIssued(ark) || !(await signedBy(ark, ark))) {
      failures.push(failure('ark-self-signature', 'the ARK is not validly self-signed'));
    }
  }
  checkValidity(ark, 'ARK', args.now, failures);

  // ASK (or ASVK): signed by the ARK.
  if (!equalBytes(ask.issuer, ark.subject)) {
    failures.push(failure('cert-issuer-mismatch', `${issuerRole} issuer is not ${ark.commonName}`));
  }
  if (checkAlgorithm(ask, issuerRole, failures) && !(await signedBy(ask, ark))) {
    failures.push(failure('ask-signature', `the ${issuerRole} is not signed by ${ark.commonName}`));
  }
  checkValidity(ask, issuerRole, args.now, failures);

  // VCEK (or VLEK): signed by the ASK (or ASVK).
  if (!equalBytes(vcek.issuer, ask.subject)) {
    failures.push(failure('cert-issuer-mismatch', `${role} issuer is not ${ask.commonName}`));
  }
  if (checkAlgorithm(vcek, role, failures) && !(await signedBy(vcek, ask))) {
    failures.push(failure('vcek-signature', `the ${role} is not signed by ${ask.commonName}`));
  }
  checkValidity(vcek, role, args.now, failures);
  return { product, vcek, vcekExtensions: ext, vcekKey, ask, failures };
}

/** What a verified chain vouches for. */
export interface SnpChainResult {
  readonly product: SnpProduct;
  readonly vcekExtensions: VcekExtensions;
}

/**
 * Verifies a VCEK against the pinned AMD chain of its product (chain only; no
 * report). `chain` (ASK+ARK) is optional; without it the pinned ASK is used.
 * @throws VerificationError naming every failed check.
 */
export async function verifySnpCertChain(
  vcek: Uint8Array | string,
  opts: { readonly chain?: SnpChainInput; readonly product?: SnpProduct; readonly now?: Date } = {},
): Promise<SnpChainResult> {
  const out = await checkSnpChain({
    vcek,
    chain: opts.chain,
    productHint: opts.product,
    now: opts.now ?? new Date(),
  });
  if (out.failures.length > 0 || !out.product || !out.vcekExtensions) {
    throw snpVerificationError(
      out.failures.length > 0 ? out.failures : [failure('product-unknown', 'no product')],
    );
  }
  return { product: out.product, vcekExtensions: out.vcekExtensions };
}
