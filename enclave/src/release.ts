/**
 * The release this enclave runs, as the release workflow (or `sotto release sign`)
 * published it: `SOTTO_RELEASE_BUNDLE` names its Sigstore bundle (`release.sigstore.json`
 * from `npm run release`), `SOTTO_RELEASE_PUBLIC_KEY` the managed key of a local release
 * (clients use it in development mode only). The enclave does not judge the signature —
 * clients do — but it refuses to start with a release that names another model, or
 * another inference engine than the one it runs (or none), since every client would
 * refuse the first and the release would misstate what reads the prompts.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import {
  ConfigurationError,
  fromBase64,
  describeEngine,
  isSottoError,
  parseReleaseStatement,
  type ReleaseEngine,
  type ReleaseStatement,
  sameEngine,
} from '@sotto/protocol';

export interface EnclaveRelease {
  bundle: Record<string, unknown>;
  statement: ReleaseStatement;
  statementSha256: Uint8Array;
  publicKey?: string;
}

/** @throws ConfigurationError naming the variable at fault. */
export async function loadRelease(
  paths: { bundle?: string; publicKey?: string },
  model: { sha256: string },
  /** What this process runs; undefined: an OpenAI-compatible server without `SOTTO_ENGINE_IMAGE`. */
  engine: ReleaseEngine | undefined,
): Promise<EnclaveRelease | undefined> {
  if (!paths.bundle) return undefined;
  let bundle: Record<string, unknown>;
  let payload: Uint8Array;
  try {
    bundle = JSON.parse(await readFile(paths.bundle, 'utf8')) as Record<string, unknown>;
    const env = bundle.dsseEnvelope as { payload?: unknown } | undefined;
    if (typeof env?.payload !== 'string') throw new Error('no DSSE envelope');
    payload = fromBase64(env.payload);
  } catch (cause) {
    throw new ConfigurationError(
      'SOTTO_RELEASE_BUNDLE is not a Sigstore bundle with a DSSE envelope',
      { cause },
    );
  }
  let statement: ReleaseStatement;
  try {
    statement = parseReleaseStatement(payload);
  } catch (cause) {
    const why = isSottoError(cause) ? cause.message : 'unreadable';
    throw new ConfigurationError(`SOTTO_RELEASE_BUNDLE holds no Sotto release statement (${why})`, {
      cause,
    });
  }
  if (statement.predicate.model.sha256 !== model.sha256) {
    throw new ConfigurationError(
      `SOTTO_RELEASE_BUNDLE is release ${statement.predicate.version} for another model; SOTTO_MODEL must be the release's`,
    );
  }
  const named = statement.predicate.engine;
  if (!named) {
    throw new ConfigurationError(
      `SOTTO_RELEASE_BUNDLE is release ${statement.predicate.version}, which names no inference engine; rebuild it with npm run release`,
    );
  }
  if (!engine || !sameEngine(named, engine)) {
    throw new ConfigurationError(
      `SOTTO_RELEASE_BUNDLE is release ${statement.predicate.version} for engine ${describeEngine(named)}, ` +
        `but this enclave runs ${engine ? describeEngine(engine) : 'an OpenAI-compatible server with no SOTTO_ENGINE_IMAGE'}`,
    );
  }
  const out: EnclaveRelease = {
    bundle,
    statement,
    statementSha256: new Uint8Array(createHash('sha256').update(payload).digest()),
  };
  if (paths.publicKey) {
    try {
      out.publicKey = await readFile(paths.publicKey, 'utf8');
    } catch (cause) {
      throw new ConfigurationError('SOTTO_RELEASE_PUBLIC_KEY cannot be read', { cause });
    }
  }
  return out;
}
