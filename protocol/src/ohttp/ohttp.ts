/**
 * Oblivious HTTP message encapsulation, RFC 9458 §4 (media types
 * `message/ohttp-req` and `message/ohttp-res`): whole messages, for small
 * requests. Long pages and streamed answers use ./chunked-client and
 * ./chunked-gateway.
 */

import { concat } from '../bytes';
import { LimitExceededError, MalformedError } from '../errors';
import {
  type RecipientContext,
  type SenderContext,
  type SetupSenderOptions,
  setupRecipient,
  setupSender,
} from '../hpke/context';
import type { AeadId } from '../hpke/suite';
import { type KeyConfig, selectSymmetric } from './key-config';
import {
  clientHeader,
  decodeRequestHeader,
  type KeyStore,
  LABEL_REQUEST,
  LABEL_RESPONSE,
  REQUEST_HEADER_BYTES,
  requestInfo,
  resolveGatewayKey,
} from './request-header';
import {
  deriveResponseKey,
  makeResponseNonce,
  type ResponseOptions,
  responseNonceBytes,
} from './response-key';

/** Default bound on a whole encapsulated message (request or response): 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Client options: AEAD preference plus the test-only ephemeral key. */
export interface ClientOptions extends SetupSenderOptions {
  /** AEADs in order of preference; default AES-128-GCM then ChaCha20-Poly1305. */
  readonly aeadPreference?: readonly AeadId[];
}

/** A sent request; keeps what the client needs to open the response. */
export class OhttpClientRequest {
  /** The `message/ohttp-req` body. */
  readonly encapsulated: Uint8Array;
  readonly #context: SenderContext;

  constructor(encapsulated: Uint8Array, context: SenderContext) {
    this.encapsulated = encapsulated;
    this.#context = context;
  }

  /**
   * Opens a `message/ohttp-res` body, RFC 9458 §4.4.
   * @throws {MalformedError} if shorter than the response nonce plus a tag.
   * @throws {LimitExceededError} if longer than `maxBytes`.
   * @throws {DecryptError} if it was not sealed for this request or was altered.
   */
  async decapsulateResponse(
    response: Uint8Array,
    maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ): Promise<Uint8Array> {
    if (response.length > maxBytes) throw new LimitExceededError('OHTTP response too large');
    const suite = this.#context.suite;
    const n = responseNonceBytes(suite);
    if (response.length < n + suite.tagBytes) throw new MalformedError('OHTTP response: truncated');
    const key = deriveResponseKey(
      this.#context,
      this.#context.enc,
      response.subarray(0, n),
      LABEL_RESPONSE,
    );
    return key.aead.open(key.nonce, new Uint8Array(0), response.subarray(n));
  }
}

/**
 * Encapsulates a Binary HTTP request to the gateway's key config, RFC 9458 §4.3.
 * @throws {UnsupportedError} if the config offers no acceptable algorithms.
 * @throws {MalformedError} if the config's public key is unusable.
 */
export async function encapsulateRequest(
  config: KeyConfig,
  request: Uint8Array,
  options: ClientOptions = {},
): Promise<OhttpClientRequest> {
  const { kdfId, aeadId } = selectSymmetric(config, options.aeadPreference);
  const { header, suite } = clientHeader(config, kdfId, aeadId);
  const ctx = await setupSender(
    suite,
    config.publicKey,
    requestInfo(LABEL_REQUEST, header),
    options,
  );
  const ct = await ctx.seal(request);
  return new OhttpClientRequest(concat(header, ctx.enc, ct), ctx);
}

/** A request the gateway has opened; keeps what it needs to seal the response. */
export class OhttpGatewayRequest {
  /** The Binary HTTP request. */
  readonly request: Uint8Array;
  readonly keyId: number;
  readonly #context: RecipientContext;
  readonly #enc: Uint8Array;

  constructor(request: Uint8Array, keyId: number, context: RecipientContext, enc: Uint8Array) {
    this.request = request;
    this.keyId = keyId;
    this.#context = context;
    this.#enc = enc;
  }

  /**
   * Seals a Binary HTTP response as a `message/ohttp-res` body, RFC 9458 §4.4.
   * @throws {ConfigurationError} if a test-only option is used outside tests.
   */
  async encapsulateResponse(
    response: Uint8Array,
    options: ResponseOptions = {},
  ): Promise<Uint8Array> {
    const nonce = makeResponseNonce(this.#context.suite, options);
    const key = deriveResponseKey(this.#context, this.#enc, nonce, LABEL_RESPONSE);
    return concat(nonce, await key.aead.seal(key.nonce, new Uint8Array(0), response));
  }
}

/**
 * Opens a `message/ohttp-req` body, RFC 9458 §4.3. Failures here happen before
 * decapsulation succeeds, so they become the outer HTTP status (RFC 9458 §5.2:
 * 400; an unknown key signals the `ohttp-key` problem type, §5.3).
 * @throws {MalformedError} if truncated or `enc` is unusable.
 * @throws {LimitExceededError} if longer than `maxBytes`.
 * @throws {UnknownKeyError} if the key id is not in `keys`.
 * @throws {UnsupportedError} if the algorithms are not offered by that key.
 * @throws {DecryptError} if the ciphertext does not open.
 */
export async function decapsulateRequest(
  encapsulated: Uint8Array,
  keys: KeyStore,
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): Promise<OhttpGatewayRequest> {
  if (encapsulated.length > maxBytes) throw new LimitExceededError('OHTTP request too large');
  const h = decodeRequestHeader(encapsulated);
  const { key, suite } = await resolveGatewayKey(keys, h);
  const encEnd = REQUEST_HEADER_BYTES + suite.encBytes;
  if (encapsulated.length < encEnd + suite.tagBytes)
    throw new MalformedError('OHTTP request: truncated');
  const header = encapsulated.subarray(0, REQUEST_HEADER_BYTES);
  const enc = encapsulated.slice(REQUEST_HEADER_BYTES, encEnd);
  const ctx = await setupRecipient(suite, enc, key.privateKey, requestInfo(LABEL_REQUEST, header));
  const request = await ctx.open(encapsulated.subarray(encEnd));
  return new OhttpGatewayRequest(request, h.keyId, ctx, enc);
}
