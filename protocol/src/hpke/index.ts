/** HPKE (RFC 9180) base mode for Sotto's profile: DHKEM(X25519, HKDF-SHA256) or X-Wing, HKDF-SHA256, AES-128-GCM / ChaCha20-Poly1305. */
export { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type AeadKey, aeadKey } from './aead';
export {
  RecipientContext,
  SenderContext,
  type SetupSenderOptions,
  setupRecipient,
  setupSender,
} from './context';
export {
  generateX25519KeyPair,
  type X25519KeyPair,
  X25519RecipientKey,
  x25519Dh,
  x25519PublicKey,
} from './dhkem-x25519';
export { recipientKey } from './kem';
export type { RecipientKey } from './recipient-key';
export { hkdfExpand, hkdfExtract } from './kdf';
export {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  type AeadId,
  aeadKeyBytes,
  type HpkeSuite,
  hpkeSuite,
  isSupportedAead,
  isSupportedKdf,
  isPostQuantumKem,
  isSupportedKem,
  KDF_HKDF_SHA256,
  type KdfId,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  type KemId,
  type KemSizes,
  kemName,
  kemSizes,
} from './suite';
export { assertTestOnly, inTestEnvironment } from './test-only';
export {
  generateXWingKeyPair,
  XWING_ENC_BYTES,
  XWING_ESEED_BYTES,
  XWING_PUBLIC_KEY_BYTES,
  XWING_SEED_BYTES,
  type XWingKeyPair,
  XWingRecipientKey,
  xwingEncap,
} from './xwing';
