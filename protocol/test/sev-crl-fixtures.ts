/**
 * SEV-SNP CRLs made in the tests (no genuine AMD CRL is among the public vectors): issued
 * under the Milan ARK's name and signed RSASSA-PSS SHA-384, as AMD KDS signs them
 * (pub. 57230 §4.2), by whatever key the test gives (a self-made ARK's, so the pinned
 * ARK never accepts them).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  CertificateList,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
} from '@peculiar/asn1-x509';
import { fromHex } from '../src/bytes';
import { milanNames } from './sev-fixtures';

const PSS = fromHex(
  '3039a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130a303020101',
);

/** A CRL issued under the Milan ARK's name, signed by `signer` (RSA-PSS SHA-384, salt 48). */
export async function makeCrl(args: {
  signer: CryptoKey;
  revoked: Uint8Array[];
  thisUpdate?: Date;
  nextUpdate?: Date;
}): Promise<Uint8Array> {
  const alg = new AlgorithmIdentifier({
    algorithm: '1.2.840.113549.1.1.10',
    parameters: PSS.slice().buffer,
  });
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: alg,
    issuer: AsnConvert.parse(milanNames().ark, Name),
    thisUpdate: new Time(args.thisUpdate ?? new Date('2025-05-01T00:00:00Z')),
    nextUpdate: new Time(args.nextUpdate ?? new Date('2025-07-01T00:00:00Z')),
    ...(args.revoked.length > 0
      ? {
          revokedCertificates: args.revoked.map(
            (serial) =>
              new RevokedCertificate({
                userCertificate: serial.slice().buffer,
                revocationDate: new Time(new Date('2025-05-01T00:00:00Z')),
              }),
          ),
        }
      : {}),
  });
  const tbsDer = AsnConvert.serialize(tbs);
  const signature = await globalThis.crypto.subtle.sign(
    { name: 'RSA-PSS', saltLength: 48 },
    args.signer,
    tbsDer,
  );
  return new Uint8Array(
    AsnConvert.serialize(
      new CertificateList({ tbsCertList: tbs, signatureAlgorithm: alg, signature }),
    ),
  );
}
