/**
 * `sotto release sign --key FILE`: signs a release statement with a managed key, for
 * local releases (Node only). The result is a Sigstore bundle v0.3 with a DSSE envelope
 * (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md) over the in-toto
 * statement and a `publicKey` hint, built by @sigstore/bundle. It is not logged: a
 * client accepts it only when this key is configured, or in development mode.
 * Release workflows sign keyless instead (.github/workflows/release.yml).
 *
 *   sotto release sign --key release-key.pem [--statement FILE] [--out FILE]
 *
 * Defaults: the statement `$SOTTO_RELEASE_OUT/release.intoto.json` (what `npm run
 * release` writes; SOTTO_RELEASE_OUT defaults to `.release/`), the bundle beside it as
 * `release.sigstore.json`, and the public key as `release.pub.pem`.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { isSottoError } from '../errors';
import { parseReleaseStatement, STATEMENT_MEDIA_TYPE } from '../release/statement';
import type { CliIo } from './verify-snp';

export const RELEASE_SIGN_USAGE = `Usage: sotto release sign --key FILE [--statement FILE] [--out FILE]

Sign a release statement with a managed key (PKCS#8 PEM, ECDSA P-256) as a Sigstore
bundle v0.3 (DSSE). Clients accept it only with this public key configured, or in
development mode.

Exit status: 0 signed, 1 refused, 2 usage error.`;

/** The `publicKey` hint: base64 SHA-256 of the SPKI, as cosign names keys. */
export function keyHint(publicKey: KeyObject): string {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Signs the statement bytes; returns the bundle as JSON (the statement is not re-encoded). */
export function signStatement(payload: Uint8Array, privateKey: KeyObject): unknown {
  parseReleaseStatement(payload);
  const pae = dsse.preAuthEncoding(STATEMENT_MEDIA_TYPE, Buffer.from(payload));
  const signature = sign('sha256', pae, privateKey);
  return bundleToJSON(
    toDSSEBundle({
      artifact: Buffer.from(payload),
      artifactType: STATEMENT_MEDIA_TYPE,
      signature,
      keyHint: keyHint(createPublicKey(privateKey)),
    }),
  );
}

export async function runReleaseSign(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        key: { type: 'string' },
        statement: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${RELEASE_SIGN_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${RELEASE_SIGN_USAGE}\n`);
    return 0;
  }
  if (typeof values.key !== 'string') {
    io.err(`${RELEASE_SIGN_USAGE}\n`);
    return 2;
  }
  const dir = process.env.SOTTO_RELEASE_OUT ?? '.release';
  const statementPath =
    (values.statement as string | undefined) ?? join(dir, 'release.intoto.json');
  const outPath = (values.out as string | undefined) ?? join(dir, 'release.sigstore.json');
  try {
    const privateKey = createPrivateKey(await readFile(values.key, 'utf8'));
    if (privateKey.asymmetricKeyType !== 'ec')
      throw new Error('the key must be an ECDSA P-256 key');
    const payload = new Uint8Array(await readFile(statementPath));
    const bundle = signStatement(payload, privateKey);
    await writeFile(outPath, `${JSON.stringify(bundle, null, 2)}\n`);
    const pub = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
    await writeFile(join(outPath, '..', 'release.pub.pem'), pub);
    io.out(`signed ${statementPath} -> ${outPath}\n`);
    return 0;
  } catch (e) {
    io.err(`sotto release sign: ${isSottoError(e) ? e.message : (e as Error).message}\n`);
    return 1;
  }
}
