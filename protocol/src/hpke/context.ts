/**
 * HPKE base mode (mode_base = 0x00), RFC 9180 §5: key schedule, encryption
 * contexts with their sequence numbers (§5.2) and the secret export (§5.3).
 * KEM-agnostic: Encap/Decap come from ./kem by the suite's KEM id.
 */

import { concat, isBytes } from '../bytes';
import { LimitExceededError, MalformedError } from '../errors';
import { type AeadKey, aeadKey } from './aead';
import { labeledExpand, labeledExtract } from './kdf';
import { decap, encap, recipientKey } from './kem';
import type { RecipientKey } from './recipient-key';
import type { HpkeSuite } from './suite';
import { assertTestOnly } from './test-only';

const MODE_BASE = 0x00;
const EMPTY = new Uint8Array(0);

/** Options for {@link setupSender}. */
export interface SetupSenderOptions {
  /**
   * TEST ONLY: the fixed ephemeral input so vectors can be reproduced: skEm
   * (32 bytes) for DHKEM(X25519), `eseed` (64 bytes) for X-Wing. Refused with
   * `ConfigurationError` outside a test harness.
   */
  readonly __unsafeTestOnlyEphemeralPrivateKey?: Uint8Array;
}

interface Schedule {
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly exporterSecret: Uint8Array;
}

/** KeySchedule for mode_base with empty psk and psk_id, RFC 9180 §5.1. */
function keySchedule(suite: HpkeSuite, sharedSecret: Uint8Array, info: Uint8Array): Schedule {
  const id = suite.suiteId;
  const pskIdHash = labeledExtract(id, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = labeledExtract(id, EMPTY, 'info_hash', info);
  const ksContext = concat(new Uint8Array([MODE_BASE]), pskIdHash, infoHash);
  const secret = labeledExtract(id, sharedSecret, 'secret', EMPTY);
  return {
    key: labeledExpand(id, secret, 'key', ksContext, suite.keyBytes),
    baseNonce: labeledExpand(id, secret, 'base_nonce', ksContext, suite.nonceBytes),
    exporterSecret: labeledExpand(id, secret, 'exp', ksContext, suite.hashBytes),
  };
}

/** State shared by sender and recipient contexts: the AEAD, the base nonce, the sequence number (§5.2). */
abstract class BaseContext {
  readonly suite: HpkeSuite;
  protected readonly aead: AeadKey;
  private readonly baseNonce: Uint8Array;
  private readonly exporterSecret: Uint8Array;
  private seq = 0;

  constructor(suite: HpkeSuite, schedule: Schedule) {
    this.suite = suite;
    this.aead = aeadKey(suite.aeadId, schedule.key);
    this.baseNonce = schedule.baseNonce;
    this.exporterSecret = schedule.exporterSecret;
  }

  /** Number of seal/open calls so far (the next sequence number). */
  get sequence(): number {
    return this.seq;
  }

  /**
   * ComputeNonce(seq) then IncrementSeq(), RFC 9180 §5.2. Done synchronously at
   * call time so concurrent calls keep their order.
   */
  protected nextNonce(): Uint8Array {
    // Nn = 12 bytes allows 2^96 - 1 messages; a JS number stops well before that.
    if (this.seq >= Number.MAX_SAFE_INTEGER)
      throw new LimitExceededError('HPKE message limit reached');
    const nonce = this.baseNonce.slice();
    let s = this.seq;
    for (let i = nonce.length - 1; i >= 0 && s > 0; i--) {
      nonce[i] = nonce[i]! ^ (s % 256);
      s = Math.floor(s / 256);
    }
    this.seq += 1;
    return nonce;
  }

  /**
   * Context.Export(exporter_context, L), RFC 9180 §5.3.
   * @throws {LimitExceededError} if `length` is over 255 * Nh.
   */
  export(exporterContext: Uint8Array, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > 255 * this.suite.hashBytes) {
      throw new LimitExceededError('HPKE export length out of range');
    }
    return labeledExpand(this.suite.suiteId, this.exporterSecret, 'sec', exporterContext, length);
  }
}

/** The sender's encryption context (ContextS). */
export class SenderContext extends BaseContext {
  /** The encapsulated key to send to the recipient. */
  readonly enc: Uint8Array;

  constructor(suite: HpkeSuite, schedule: Schedule, enc: Uint8Array) {
    super(suite, schedule);
    this.enc = enc;
  }

  /**
   * ContextS.Seal(aad, pt), RFC 9180 §5.2; the sequence number advances.
   * @throws {LimitExceededError} if the sequence number is exhausted.
   */
  seal(plaintext: Uint8Array, aad: Uint8Array = EMPTY): Promise<Uint8Array> {
    const nonce = this.nextNonce();
    return this.aead.seal(nonce, aad, plaintext);
  }
}

/** The recipient's decryption context (ContextR). */
export class RecipientContext extends BaseContext {
  /**
   * ContextR.Open(aad, ct), RFC 9180 §5.2; the sequence number advances even
   * when opening fails, so a failed open cannot be retried out of order.
   * @throws {DecryptError} if authentication fails.
   * @throws {LimitExceededError} if the sequence number is exhausted.
   */
  open(ciphertext: Uint8Array, aad: Uint8Array = EMPTY): Promise<Uint8Array> {
    const nonce = this.nextNonce();
    return this.aead.open(nonce, aad, ciphertext);
  }
}

/**
 * SetupBaseS(pkR, info), RFC 9180 §5.1.1, for the suite's KEM.
 * @throws {MalformedError} if `recipientPublicKey` is not Npk bytes or not a usable key.
 * @throws {ConfigurationError} if a test-only option is given outside tests.
 */
export async function setupSender(
  suite: HpkeSuite,
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  options: SetupSenderOptions = {},
): Promise<SenderContext> {
  const fixed = options.__unsafeTestOnlyEphemeralPrivateKey;
  if (fixed !== undefined) assertTestOnly('a fixed HPKE ephemeral key');
  const { sharedSecret, enc } = await encap(suite, recipientPublicKey, fixed);
  return new SenderContext(suite, keySchedule(suite, sharedSecret, info), enc);
}

/**
 * SetupBaseR(enc, skR, info), RFC 9180 §5.1.1, for the suite's KEM. `skR` is a
 * {@link RecipientKey} (a gateway's long-lived key), or raw Nsk bytes used for
 * this call only (vectors, tests; nothing is kept).
 * @throws {MalformedError} if `enc` is not Nenc bytes or not usable, or raw `skR` is not Nsk bytes.
 * @throws {UnsupportedError} if `skR` is a key for another KEM.
 * @throws {UnknownKeyError} if `skR` was erased.
 */
export async function setupRecipient(
  suite: HpkeSuite,
  enc: Uint8Array,
  recipientPrivateKey: RecipientKey | Uint8Array,
  info: Uint8Array,
): Promise<RecipientContext> {
  if (enc.length !== suite.encBytes) throw new MalformedError('HPKE enc has the wrong length');
  const oneShot = isBytes(recipientPrivateKey);
  const key = oneShot ? recipientKey(suite.kemId, recipientPrivateKey) : recipientPrivateKey;
  let sharedSecret: Uint8Array;
  try {
    sharedSecret = await decap(suite, enc, key);
  } finally {
    if (oneShot) key.erase();
  }
  return new RecipientContext(suite, keySchedule(suite, sharedSecret, info));
}
