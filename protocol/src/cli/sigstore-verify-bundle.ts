/**
 * `sotto sigstore verify-bundle`: the sigstore-conformance CLI protocol
 * (sigstore/sigstore-conformance, docs/cli_protocol.md), so the public suite can
 * drive our verifier:
 *
 *   verify-bundle --bundle FILE
 *     (--certificate-identity ID --certificate-oidc-issuer URL | --key FILE)
 *     [--trusted-root FILE] FILE_OR_sha256:DIGEST
 *
 * Exit 0 when the bundle verifies and the identity (or key) matches exactly; 1 when it
 * is refused (the reason on stderr); 2 on a usage error. No network: the public-good
 * root is the pinned one.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fromHex } from '../bytes';
import { isSottoError } from '../errors';
import { ReleaseRefusedError } from '../release/errors';
import { type SignedSubject, verifySigstoreBundle } from '../release/sigstore';
import type { CliIo } from './verify-snp';

export const VERIFY_BUNDLE_USAGE = `Usage: sotto sigstore verify-bundle --bundle FILE
         (--certificate-identity ID --certificate-oidc-issuer URL | --key FILE)
         [--trusted-root FILE] FILE_OR_sha256:DIGEST

Verify a Sigstore bundle offline (sigstore-conformance CLI protocol).

Exit status: 0 verified, 1 refused, 2 usage error.`;

class UsageError extends Error {}

async function subjectFrom(arg: string): Promise<SignedSubject> {
  if (arg.startsWith('sha256:')) {
    const hex = arg.slice('sha256:'.length);
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError('sha256: needs 64 hex digits');
    return { sha256: fromHex(hex.toLowerCase()) };
  }
  return { bytes: new Uint8Array(await readFile(arg)) };
}

export async function runSigstoreVerifyBundle(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        bundle: { type: 'string' },
        'certificate-identity': { type: 'string' },
        'certificate-oidc-issuer': { type: 'string' },
        key: { type: 'string' },
        'trusted-root': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${VERIFY_BUNDLE_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${VERIFY_BUNDLE_USAGE}\n`);
    return 0;
  }
  const identity = values['certificate-identity'] as string | undefined;
  const issuer = values['certificate-oidc-issuer'] as string | undefined;
  const key = values.key as string | undefined;
  const byIdentity = identity !== undefined && issuer !== undefined;
  if (
    typeof values.bundle !== 'string' ||
    positionals.length !== 1 ||
    byIdentity === (key !== undefined) ||
    (identity === undefined) !== (issuer === undefined)
  ) {
    io.err(`${VERIFY_BUNDLE_USAGE}\n`);
    return 2;
  }
  try {
    const subject = await subjectFrom(positionals[0]!);
    const bundle = await readFile(values.bundle, 'utf8');
    const rootPath = values['trusted-root'] as string | undefined;
    const trustedRoot = rootPath ? JSON.parse(await readFile(rootPath, 'utf8')) : undefined;
    const publicKey = key ? await readFile(key, 'utf8') : undefined;
    const verified = verifySigstoreBundle(bundle, subject, {
      ...(trustedRoot !== undefined && { trustedRoot }),
      ...(publicKey !== undefined && { publicKey }),
    });
    if (byIdentity) {
      // The protocol asks for exact matches (no patterns).
      if (verified.signer.issuer !== issuer) {
        throw new ReleaseRefusedError('issuer', `issuer is ${verified.signer.issuer ?? 'absent'}`);
      }
      if (verified.signer.subjectAlternativeName !== identity) {
        throw new ReleaseRefusedError(
          'identity',
          `identity is ${verified.signer.subjectAlternativeName ?? 'absent'}`,
        );
      }
    }
    io.out('OK\n');
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n`);
      return 2;
    }
    io.err(`refused: ${isSottoError(e) ? e.message : (e as Error).message}\n`);
    return 1;
  }
}
