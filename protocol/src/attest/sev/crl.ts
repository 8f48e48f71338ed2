/**
 * Revocation for SEV-SNP: the CRL AMD's Key Distribution Service publishes
 * per product (`GET https://kdsintf.amd.com/vcek/v1/{product}/crl`, AMD
 * pub. 57230 §4.2 "Get Certificate Revocation List"), issued and signed by
 * the product's ARK with RSASSA-PSS SHA-384 (RFC 5280 §5; RFC 4055 §3.1).
 * The CRL must name the ARK as issuer, carry its signature, and be current
 * at `now`; the ASK (or ASVK) it vouches for, and the VCEK/VLEK, must not be
 * on it. Every failure is collected; nothing throws for bad evidence.
 */

import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { equalBytes, fromBase64, toHex } from '../../bytes';
import { MalformedError } from '../../errors';
import { importCertKey, paramsHex, type SnpCertificate } from './certificate';
import { OID_RSASSA_PSS, PSS_SALT_LENGTH_BYTES, PSS_SHA384_PARAMS_HEX } from './constants';
import { failure, type SnpFailure } from './reasons';

/** AMD's CRLs are a few hundred bytes; bound hostile input. */
const MAX_CRL_BYTES = 256 * 1024;

export interface SnpCrl {
  readonly tbs: Uint8Array<ArrayBuffer>;
  readonly signature: Uint8Array<ArrayBuffer>;
  readonly algorithm: string;
  readonly algorithmParams: string;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Revoked serial numbers, hex without leading zero bytes. */
  readonly revoked: ReadonlySet<string>;
}

const serial = (b: ArrayBuffer) => toHex(new Uint8Array(b)).replace(/^(00)+(?=.)/, '');

/**
 * Parses a DER CRL or PEM "X509 CRL" text.
 * @throws MalformedError when it is not a CRL, lacks nextUpdate or is over 256 KiB.
 */
export function parseSnpCrl(input: Uint8Array | string): SnpCrl {
  let der: Uint8Array;
  if (typeof input === 'string') {
    const m = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+?)-----END X509 CRL-----/.exec(input);
    if (!m) throw new MalformedError('no PEM CRL found');
    der = fromBase64(m[1]!.replace(/\s+/g, ''));
  } else {
    der = input;
  }
  if (der.length > MAX_CRL_BYTES) throw new MalformedError('CRL is too large');
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(der, CertificateList);
  } catch (cause) {
    throw new MalformedError('not a DER CRL', { cause });
  }
  const t = crl.tbsCertList;
  const time = (x: { utcTime?: Date; generalTime?: Date } | undefined) =>
    x?.utcTime ?? x?.generalTime;
  const thisUpdate = time(t.thisUpdate);
  const nextUpdate = time(t.nextUpdate);
  if (!thisUpdate || !nextUpdate || !crl.tbsCertListRaw) {
    throw new MalformedError('CRL has no update times');
  }
  return {
    tbs: new Uint8Array(crl.tbsCertListRaw),
    signature: new Uint8Array(crl.signature),
    algorithm: crl.signatureAlgorithm.algorithm,
    algorithmParams: paramsHex(crl.signatureAlgorithm.parameters),
    issuer: new Uint8Array(AsnConvert.serialize(t.issuer)),
    thisUpdate,
    nextUpdate,
    revoked: new Set((t.revokedCertificates ?? []).map((r) => serial(r.userCertificate))),
  };
}

/** Checks `crl` against the ARK that must have issued it and the certificates it must not list. */
export async function checkSnpCrl(args: {
  readonly crl: Uint8Array | string;
  readonly ark: SnpCertificate;
  /** The certificates under the ARK: ASK/ASVK and VCEK/VLEK, with a role for messages. */
  readonly subjects: readonly { readonly role: string; readonly cert: SnpCertificate }[];
  readonly now: Date;
}): Promise<SnpFailure[]> {
  let crl: SnpCrl;
  try {
    crl = parseSnpCrl(args.crl);
  } catch {
    return [failure('crl-malformed', 'the CRL is not a DER or PEM X.509 CRL')];
  }
  const out: SnpFailure[] = [];
  if (!equalBytes(crl.issuer, args.ark.subject)) {
    out.push(failure('crl-signature', `the CRL is not issued by ${args.ark.commonName}`));
  } else if (
    crl.algorithm !== OID_RSASSA_PSS ||
    !PSS_SHA384_PARAMS_HEX.includes(crl.algorithmParams)
  ) {
    out.push(failure('crl-signature', 'the CRL is not signed with RSASSA-PSS SHA-384'));
  } else {
    let ok = false;
    try {
      const key = await importCertKey(args.ark, 'rsa-pss');
      ok = await globalThis.crypto.subtle.verify(
        { name: 'RSA-PSS', saltLength: PSS_SALT_LENGTH_BYTES },
        key,
        crl.signature,
        crl.tbs,
      );
    } catch {
      ok = false;
    }
    if (!ok) out.push(failure('crl-signature', `the CRL is not signed by ${args.ark.commonName}`));
  }
  const t = args.now.getTime();
  if (t < crl.thisUpdate.getTime() || t > crl.nextUpdate.getTime()) {
    out.push(
      failure(
        'crl-validity',
        `the CRL is current ${crl.thisUpdate.toISOString()} to ${crl.nextUpdate.toISOString()}, not at ${args.now.toISOString()}`,
      ),
    );
  }
  for (const { role, cert } of args.subjects) {
    const s = serial(new Uint8Array(cert.asn.tbsCertificate.serialNumber).buffer);
    if (crl.revoked.has(s)) out.push(failure('cert-revoked', `the ${role} is revoked`));
  }
  return out;
}
