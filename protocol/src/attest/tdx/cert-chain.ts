/**
 * The Intel PKI checks of a TDX quote ("Intel SGX PCK Certificate and CRL
 * Profile" §1.1–§1.4; RFC 5280 §6 path validation, reduced to Intel's fixed
 * three-level hierarchy): PCK leaf → Intel SGX PCK Platform CA or Processor
 * CA → Intel SGX Root CA, the root byte-equal to the pinned one (roots.ts);
 * every certificate ECDSA P-256 / SHA-256 and valid at `now`; the CAs with
 * basicConstraints cA; the PCK CA CRL signed by the PCK CA and the Root CA
 * CRL by the root, both current at `now`, and neither the leaf nor the CA on
 * them. The TCB Signing chain (TCB Signing → root) is checked the same way
 * for collateral signatures. Every failure is collected; nothing throws for
 * bad evidence.
 */

import { equalBytes } from '../../bytes';
import {
  certKey,
  crlSignedBy,
  isCa,
  isP256Key,
  parseCertificate,
  parseCertificateChain,
  serialHex,
  signedBy,
  signedWithEcdsaSha256,
  type X509Cert,
  type X509Crl,
} from './certificate';
import { INTEL_CN } from './constants';
import { failure, type TdxFailure } from './reasons';
import { INTEL_SGX_ROOT_CA_PEM } from './roots';

let pinnedRoot: X509Cert | undefined;

/** The pinned Intel SGX Root CA, parsed. */
export function pinnedIntelRoot(): X509Cert {
  pinnedRoot ??= parseCertificate(INTEL_SGX_ROOT_CA_PEM);
  return pinnedRoot;
}

function validity(c: X509Cert, role: string, now: Date, out: TdxFailure[]): void {
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

async function link(
  child: X509Cert,
  parent: X509Cert,
  role: string,
  out: TdxFailure[],
): Promise<void> {
  if (!signedWithEcdsaSha256(child)) {
    out.push(failure('cert-algorithm', `${role} is not signed with ECDSA SHA-256`));
    return;
  }
  if (!equalBytes(child.issuer, parent.subject)) {
    out.push(failure('cert-issuer-mismatch', `${role} issuer is not ${parent.commonName}`));
  }
  if (!(await signedBy(child, parent))) {
    out.push(failure('cert-signature', `${role} is not signed by ${parent.commonName}`));
  }
}

/** The root of a chain: pinned, self-signed, valid. */
async function checkRoot(root: X509Cert, now: Date, out: TdxFailure[]): Promise<void> {
  if (!equalBytes(root.der, pinnedIntelRoot().der)) {
    out.push(failure('root-not-pinned', `the chain's root is not the pinned ${INTEL_CN.ROOT}`));
    return;
  }
  validity(root, INTEL_CN.ROOT, now, out);
}

export interface PckChainOutcome {
  readonly leaf: X509Cert | undefined;
  readonly ca: X509Cert | undefined;
  /** The leaf's P-256 key, when it could be imported (even if the chain failed). */
  readonly leafKey: CryptoKey | undefined;
  readonly failures: readonly TdxFailure[];
}

export interface TdxCrls {
  /** The PCK CA's CRL (Platform or Processor, matching the leaf's issuer). */
  readonly pckCrl: X509Crl;
  /** The Intel SGX Root CA CRL. */
  readonly rootCrl: X509Crl;
}

function crlCurrent(crl: X509Crl, role: string, now: Date, out: TdxFailure[]): void {
  const t = now.getTime();
  if (t < crl.thisUpdate.getTime() || t > crl.nextUpdate.getTime()) {
    out.push(
      failure(
        'crl-validity',
        `${role} CRL current ${crl.thisUpdate.toISOString()} to ${crl.nextUpdate.toISOString()}, not at ${now.toISOString()}`,
      ),
    );
  }
}

/**
 * Checks the PCK chain a quote carries (PEM: leaf, CA, root) and, when
 * given, its CRLs. Never throws for bad evidence.
 */
export async function checkPckChain(args: {
  readonly pem: string;
  readonly crls?: TdxCrls | undefined;
  readonly now: Date;
}): Promise<PckChainOutcome> {
  const out: TdxFailure[] = [];
  let certs: X509Cert[];
  try {
    certs = parseCertificateChain(args.pem);
  } catch {
    out.push(failure('pck-chain-malformed', 'the PCK chain is not PEM certificates'));
    return { leaf: undefined, ca: undefined, leafKey: undefined, failures: out };
  }
  if (certs.length !== 3) {
    out.push(
      failure(
        'pck-chain-malformed',
        `the PCK chain holds ${certs.length} certificates, expected 3`,
      ),
    );
    return { leaf: undefined, ca: undefined, leafKey: undefined, failures: out };
  }
  const [leaf, ca, root] = certs as [X509Cert, X509Cert, X509Cert];
  const leafKey = isP256Key(leaf) ? await certKey(leaf).catch(() => undefined) : undefined;
  if (!leafKey) out.push(failure('cert-algorithm', 'the PCK key is not ECDSA P-256'));
  if (leaf.commonName !== INTEL_CN.PCK) {
    out.push(
      failure('pck-chain-malformed', `the leaf is "${leaf.commonName}", not a PCK certificate`),
    );
  }
  if (ca.commonName !== INTEL_CN.PLATFORM_CA && ca.commonName !== INTEL_CN.PROCESSOR_CA) {
    out.push(
      failure('pck-chain-malformed', `the intermediate is "${ca.commonName}", not a PCK CA`),
    );
  }
  if (!isCa(ca) || !isCa(root)) out.push(failure('cert-not-ca', 'an issuer is not a CA'));
  await checkRoot(root, args.now, out);
  await link(ca, root, 'PCK CA', out);
  await link(leaf, ca, 'PCK certificate', out);
  validity(ca, 'PCK CA', args.now, out);
  validity(leaf, 'PCK certificate', args.now, out);

  if (args.crls) {
    const { pckCrl, rootCrl } = args.crls;
    if (!equalBytes(pckCrl.issuer, ca.subject)) {
      out.push(failure('crl-issuer', `the PCK CRL is not issued by ${ca.commonName}`));
    } else if (!(await crlSignedBy(pckCrl, ca))) {
      out.push(failure('crl-signature', `the PCK CRL is not signed by ${ca.commonName}`));
    }
    if (!(await crlSignedBy(rootCrl, pinnedIntelRoot()))) {
      out.push(failure('crl-signature', `the root CRL is not signed by ${INTEL_CN.ROOT}`));
    }
    crlCurrent(pckCrl, 'PCK', args.now, out);
    crlCurrent(rootCrl, 'root', args.now, out);
    if (pckCrl.revoked.has(serialHex(leaf))) {
      out.push(
        failure('cert-revoked', `the PCK certificate (serial ${serialHex(leaf)}) is revoked`),
      );
    }
    if (rootCrl.revoked.has(serialHex(ca))) {
      out.push(failure('cert-revoked', `${ca.commonName} (serial ${serialHex(ca)}) is revoked`));
    }
  }
  return { leaf, ca, leafKey, failures: out };
}

/**
 * Checks a TCB Signing chain (TCB Signing certificate, then the root; PEM or
 * URL-encoded PEM) and resolves to the signing key, or collects failures.
 */
export async function checkTcbSigningChain(args: {
  readonly pem: string;
  readonly rootCrl?: X509Crl | undefined;
  readonly now: Date;
}): Promise<{ key: CryptoKey | undefined; failures: TdxFailure[] }> {
  const out: TdxFailure[] = [];
  let certs: X509Cert[];
  try {
    certs = parseCertificateChain(args.pem);
  } catch {
    return {
      key: undefined,
      failures: [failure('collateral-signing-chain', 'the TCB Signing chain is not PEM')],
    };
  }
  const signer = certs[0];
  const root = certs[certs.length - 1];
  if (certs.length !== 2 || !signer || !root) {
    return {
      key: undefined,
      failures: [
        failure(
          'collateral-signing-chain',
          `the TCB Signing chain holds ${certs.length} certificates, expected 2`,
        ),
      ],
    };
  }
  if (signer.commonName !== INTEL_CN.TCB_SIGNING) {
    out.push(
      failure(
        'collateral-signing-chain',
        `the signer is "${signer.commonName}", not ${INTEL_CN.TCB_SIGNING}`,
      ),
    );
  }
  await checkRoot(root, args.now, out);
  await link(signer, root, 'TCB Signing certificate', out);
  validity(signer, 'TCB Signing certificate', args.now, out);
  if (args.rootCrl?.revoked.has(serialHex(signer))) {
    out.push(failure('cert-revoked', 'the TCB Signing certificate is revoked'));
  }
  const key = isP256Key(signer) ? await certKey(signer).catch(() => undefined) : undefined;
  if (!key) out.push(failure('cert-algorithm', 'the TCB Signing key is not ECDSA P-256'));
  return { key, failures: out };
}
