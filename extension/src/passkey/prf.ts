/**
 * Reading the WebAuthn `prf` extension's output (W3C WebAuthn Level 3 §10.1.4).
 * `@simplewebauthn/browser` 14 passes `getClientExtensionResults()` through as is,
 * so `prf.results.first` is an ArrayBuffer in browsers; a base64url string (as some
 * JSON-serialising wrappers give) is accepted too. The output is always 32 bytes.
 */
import { fromBase64Url } from '../messaging';

export const PRF_OUTPUT_BYTES = 32;

/** What a ceremony's client extension results may say about PRF. */
export interface PrfResults {
  enabled?: boolean;
  results?: { first?: unknown; second?: unknown };
}

/** The 32-byte PRF output in `results`, or `undefined` when the authenticator gave none. */
export function prfOutput(extensionResults: unknown): Uint8Array | undefined {
  const prf = (extensionResults as { prf?: PrfResults } | undefined)?.prf;
  const first = prf?.results?.first;
  let bytes: Uint8Array | undefined;
  if (first instanceof ArrayBuffer) bytes = new Uint8Array(first.slice(0));
  else if (ArrayBuffer.isView(first)) {
    bytes = new Uint8Array(
      first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength),
    );
  } else if (typeof first === 'string') {
    try {
      bytes = fromBase64Url(first);
    } catch {
      bytes = undefined;
    }
  }
  return bytes && bytes.length === PRF_OUTPUT_BYTES ? bytes : undefined;
}

/** True when the create ceremony says the credential has no PRF at all (`enabled: false`). */
export function prfDisabled(extensionResults: unknown): boolean {
  return (extensionResults as { prf?: PrfResults } | undefined)?.prf?.enabled === false;
}
