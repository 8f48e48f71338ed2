/** What the client commands share: relay address, evidence policy, failure messages. */
import {
  type EvidencePolicy,
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

export function policyFromFlags(values: {
  'allow-dev'?: boolean;
  measurement?: string[];
}): EvidencePolicy {
  const fromEnv = (process.env.SOTTO_ALLOWED_MEASUREMENTS ?? '').split(',').filter(Boolean);
  const allowed = [...(values.measurement ?? []), ...fromEnv].map((m) => m.toLowerCase());
  return {
    allowDevelopment: values['allow-dev'] === true,
    ...(allowed.length > 0 ? { allowedMeasurements: allowed } : {}),
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
