/**
 * A Sigstore of our own for tests (there is no network, and Fulcio will not issue a
 * certificate for our release identity on demand): a CA and a transparency log with
 * real keys, producing keyless bundles in exactly the public-good shapes — a Fulcio-style
 * leaf (SAN URI = the workflow identity, issuer extension 1.3.6.1.4.1.57264.1.8), a DSSE
 * envelope over the statement, and a Rekor v1 `dsse` 0.0.1 entry with a signed entry
 * timestamp and a one-leaf RFC 6962 inclusion proof under a signed checkpoint. The
 * verifier (@sigstore/verify) checks all of it exactly as it checks real bundles; the
 * custom trusted root it makes is passed as the policy's `trustedRoot`.
 *
 * Test-only: nothing outside protocol/test imports it.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign, webcrypto } from 'node:crypto';
import './reflect-shim';
import * as x509 from '@peculiar/x509';
import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { dsse, json } from '@sigstore/core';
import { GITHUB_ACTIONS_ISSUER } from '../../src/release/policy';
import { STATEMENT_MEDIA_TYPE } from '../../src/release/statement';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const LOG_URL = 'https://rekor.sotto.test';
const LOG_NAME = 'rekor.sotto.test';
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function der(k: KeyObject): Buffer {
  return k.export({ format: 'der', type: 'spki' });
}

function utf8String(s: string): ArrayBuffer {
  const b = Buffer.from(s, 'utf8');
  return new Uint8Array([0x0c, b.length, ...b]).buffer;
}

export interface TestSigstore {
  trustedRoot: unknown;
  /** Signs `payload` as the workflow `identity` at `signedAt`; returns the bundle JSON. */
  sign(
    payload: Uint8Array,
    opts: { identity: string; issuer?: string; signedAt: Date; certValidMs?: number },
  ): Promise<unknown>;
}

export async function createTestSigstore(now: Date): Promise<TestSigstore> {
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 365 * 24 * 3600 * 1000);
  const notAfter = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=sotto test fulcio, O=sotto.test',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  const log = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const logId = createHash('sha256').update(der(log.publicKey)).digest();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: LOG_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: der(log.publicKey).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start: notBefore.toISOString() },
        },
        logId: { keyId: logId.toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sotto.test', commonName: 'sotto test fulcio' },
        uri: 'https://fulcio.sotto.test',
        certChain: { certificates: [{ rawBytes: Buffer.from(ca.rawData).toString('base64') }] },
        validFor: { start: notBefore.toISOString() },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  let index = 0;
  return {
    trustedRoot,
    async sign(payload, opts) {
      const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: (++index).toString(16).padStart(2, '0'),
        subject: '',
        issuer: ca.subject,
        notBefore: new Date(opts.signedAt.getTime() - 60_000),
        notAfter: new Date(opts.signedAt.getTime() + (opts.certValidMs ?? 10 * 60_000)),
        signingAlgorithm: ALG,
        publicKey: leafKeys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3']),
          new x509.SubjectAlternativeNameExtension([{ type: 'url', value: opts.identity }], true),
          new x509.Extension(
            '1.3.6.1.4.1.57264.1.8',
            false,
            utf8String(opts.issuer ?? GITHUB_ACTIONS_ISSUER),
          ),
        ],
      });
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
      const pae = dsse.preAuthEncoding(STATEMENT_MEDIA_TYPE, Buffer.from(payload));
      const signature = sign('sha256', pae, { key: pkcs8, format: 'der', type: 'pkcs8' });
      const bundle = bundleToJSON(
        toDSSEBundle({
          artifact: Buffer.from(payload),
          artifactType: STATEMENT_MEDIA_TYPE,
          signature,
          certificate: Buffer.from(leaf.rawData),
        }),
      ) as { verificationMaterial: { tlogEntries: unknown[] } };
      // Rekor v1 `dsse` 0.0.1 body: what the log stores for this envelope.
      const body = Buffer.from(
        json.canonicalize({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            payloadHash: {
              algorithm: 'sha256',
              value: createHash('sha256').update(payload).digest('hex'),
            },
            signatures: [
              {
                signature: signature.toString('base64'),
                verifier: Buffer.from(leaf.toString('pem')).toString('base64'),
              },
            ],
          },
        }),
      );
      const integratedTime = Math.floor(opts.signedAt.getTime() / 1000);
      const set = sign(
        'sha256',
        Buffer.from(
          json.canonicalize({
            body: body.toString('base64'),
            integratedTime,
            logIndex: 0,
            logID: logId.toString('hex'),
          }),
        ),
        log.privateKey,
      );
      // A one-leaf tree (RFC 6962 §2.1): root = SHA-256(0x00 || body), no proof hashes.
      const root = createHash('sha256')
        .update(Buffer.from([0]))
        .update(body)
        .digest();
      const note = `${LOG_NAME} - 1\n1\n${root.toString('base64')}\n`;
      const noteSig = sign('sha256', Buffer.from(note), log.privateKey);
      const envelope = `${note}\n\u2014 ${LOG_NAME} ${Buffer.concat([logId.subarray(0, 4), noteSig]).toString('base64')}\n`;
      bundle.verificationMaterial.tlogEntries = [
        {
          logIndex: '0',
          logId: { keyId: logId.toString('base64') },
          kindVersion: { kind: 'dsse', version: '0.0.1' },
          integratedTime: String(integratedTime),
          inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
          inclusionProof: {
            logIndex: '0',
            rootHash: root.toString('base64'),
            treeSize: '1',
            hashes: [],
            checkpoint: { envelope },
          },
          canonicalizedBody: body.toString('base64'),
        },
      ];
      return bundle;
    },
  };
}

/** The SAN a GitHub Actions workflow gets: https://github.com/REPO/WORKFLOW@REF. */
export function workflowIdentity(
  repository: string,
  ref: string,
  workflow = '.github/workflows/release.yml',
): string {
  return `https://github.com/${repository}/${workflow}@${ref}`;
}
