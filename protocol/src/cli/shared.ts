/** What the client commands share: relay address, evidence policy, failure messages. */
import { readFileSync } from 'node:fs';
import {
  checkIdentityPolicy,
  type EvidencePolicyV2,
  parseTrustedRootJson,
  type ReleasePolicy,
  SOTTO_RELEASE_IDENTITY,
  ServiceError,
  SottoError,
  TruncatedStreamError,
  UnreachableError,
  VerificationError,
} from '../index';
import { EXIT } from './exit-codes';

export const DEFAULT_RELAY = 'http://127.0.0.1:8787';

export function relayFromFlags(flag: string | undefined): string {
  return flag ?? process.env.SOTTO_RELAY_URL ?? DEFAULT_RELAY;
}

/**
 * The release policy from the environment: SOTTO_RELEASE_REPOSITORY and
 * SOTTO_RELEASE_TAG_PREFIX (identity; the project's own by default), SOTTO_TRUSTED_ROOT
 * (a trusted_root.json file; the pinned public-good root by default), SOTTO_RELEASE_KEYS
 * (comma-separated PEM files: managed keys of local releases).
 */
export function releasePolicyFromEnv(env = process.env): ReleasePolicy {
  const identity = checkIdentityPolicy({
    ...SOTTO_RELEASE_IDENTITY,
    ...(env.SOTTO_RELEASE_REPOSITORY && { repository: env.SOTTO_RELEASE_REPOSITORY }),
    ...(env.SOTTO_RELEASE_TAG_PREFIX && { tagPrefix: env.SOTTO_RELEASE_TAG_PREFIX }),
  });
  const keys = (env.SOTTO_RELEASE_KEYS ?? '').split(',').filter(Boolean);
  return {
    identity,
    ...(env.SOTTO_TRUSTED_ROOT && {
      trustedRoot: parseTrustedRootJson(readFileSync(env.SOTTO_TRUSTED_ROOT, 'utf8')),
    }),
    ...(keys.length > 0 && { managedKeys: keys.map((k) => readFileSync(k, 'utf8')) }),
  };
}

/** `--measurement` and SOTTO_ALLOWED_MEASUREMENTS are the expert override (verify-v2.ts). */
export function policyFromFlags(values: {
  'allow-dev'?: boolean;
  measurement?: string[];
}): EvidencePolicyV2 {
  const fromEnv = (process.env.SOTTO_ALLOWED_MEASUREMENTS ?? '').split(',').filter(Boolean);
  const allowed = [...(values.measurement ?? []), ...fromEnv].map((m) => m.toLowerCase());
  return {
    allowDevelopment: values['allow-dev'] === true,
    ...(allowed.length > 0 ? { allowedMeasurements: allowed } : {}),
    release: releasePolicyFromEnv(),
  };
}

/** A one-line, content-free description of a failure and the exit code it maps to. */
export function describeFailure(e: unknown): { message: string; exit: number } {
  if (e instanceof UnreachableError) return { message: e.message, exit: EXIT.unreachable };
  if (e instanceof VerificationError) {
    const dev = e.reasons.some((r) => r.includes('development mode is off'));
    return {
      message: dev
        ? 'the relay serves DEVELOPMENT evidence (no hardware proof); pass --allow-dev to accept it'
        : `evidence refused: ${e.reasons.join('; ')}`,
      exit: EXIT.evidenceRefused,
    };
  }
  if (e instanceof ServiceError) return { message: e.message, exit: EXIT.service };
  if (e instanceof TruncatedStreamError) return { message: e.message, exit: EXIT.truncated };
  if (e instanceof SottoError) return { message: `${e.code}: ${e.message}`, exit: EXIT.failure };
  return { message: 'unexpected failure', exit: EXIT.failure };
}
