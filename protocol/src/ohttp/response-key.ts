/**
 * Response keys, RFC 9458 §4.4 (and draft-ietf-ohai-chunked-ohttp-08 §6.2,
 * which differs only in the export label and per-chunk nonces):
 *
 *   secret     = context.Export(label, max(Nn, Nk))
 *   salt       = enc || response_nonce
 *   prk        = Extract(salt, secret)
 *   aead_key   = Expand(prk, "key", Nk)
 *   aead_nonce = Expand(prk, "nonce", Nn)
 */

import { concat, utf8 } from '../bytes';
import { MalformedError } from '../errors';
import { type AeadKey, aeadKey } from '../hpke/aead';
import type { RecipientContext, SenderContext } from '../hpke/context';
import { hkdfExpand, hkdfExtract } from '../hpke/kdf';
import type { HpkeSuite } from '../hpke/suite';
import { assertTestOnly } from '../hpke/test-only';

/** Options for response encapsulation. */
export interface ResponseOptions {
  /**
   * TEST ONLY: fixed response nonce (max(Nn, Nk) bytes) so vectors can be
   * reproduced. Refused with `ConfigurationError` outside a test harness.
   */
  readonly __unsafeTestOnlyResponseNonce?: Uint8Array;
}

/** max(Nn, Nk): 16 for AES-128-GCM, 32 for ChaCha20-Poly1305. */
export function responseNonceBytes(suite: HpkeSuite): number {
  return Math.max(suite.nonceBytes, suite.keyBytes);
}

/**
 * A fresh random response nonce, or the test-only fixed one.
 * @throws {ConfigurationError} if a fixed nonce is given outside tests.
 * @throws {MalformedError} if a fixed nonce has the wrong length.
 */
export function makeResponseNonce(suite: HpkeSuite, options: ResponseOptions = {}): Uint8Array {
  const fixed = options.__unsafeTestOnlyResponseNonce;
  if (fixed !== undefined) {
    assertTestOnly('a fixed OHTTP response nonce');
    if (fixed.length !== responseNonceBytes(suite))
      throw new MalformedError('response nonce has the wrong length');
    return fixed.slice();
  }
  return crypto.getRandomValues(new Uint8Array(responseNonceBytes(suite)));
}

/** The response AEAD key and base nonce. */
export interface ResponseKey {
  readonly aead: AeadKey;
  readonly nonce: Uint8Array;
}

/** Derives the response key (RFC 9458 §4.4) from either side's HPKE context. */
export function deriveResponseKey(
  context: SenderContext | RecipientContext,
  enc: Uint8Array,
  responseNonce: Uint8Array,
  label: string,
): ResponseKey {
  const suite = context.suite;
  const secret = context.export(utf8(label), responseNonceBytes(suite));
  const prk = hkdfExtract(concat(enc, responseNonce), secret);
  return {
    aead: aeadKey(suite.aeadId, hkdfExpand(prk, utf8('key'), suite.keyBytes)),
    nonce: hkdfExpand(prk, utf8('nonce'), suite.nonceBytes),
  };
}
