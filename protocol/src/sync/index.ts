/** Sync across a user's devices: the account key, signed requests, manifests, merging, pairing. */
export { type AccountKey, deriveAccountKey } from './account-key';
export {
  checkFreshness,
  checkIndex,
  type FetchedRecord,
  type HeldRecord,
  type RememberedIndex,
  type RememberedManifest,
  verifyMembership,
} from './integrity';
export {
  type ConversationManifest,
  MANIFEST_TYPE,
  type ManifestEntry,
  manifestMeta,
  MAX_MANIFEST_MESSAGES,
  openManifest,
  parseManifest,
  recordDigest,
  sealManifest,
  type Tombstone,
} from './manifest';
export {
  type DeviceInfo,
  deviceRecordId,
  HANDOVER_BYTES,
  openDevice,
  openHandover,
  sealDevice,
  sealHandover,
} from './devices';
export { mergeManifests, type MergeResult } from './merge';
export {
  type ApproverPairing,
  approvePairing,
  checkReveal,
  decodePairingJson,
  MAX_PAIRING_PAYLOAD_BYTES,
  type NewDevicePairing,
  normalisePairingCode,
  openPairingPayload,
  PAIRING_CODE_CHARS,
  PAIRING_NONCE_BYTES,
  pairingCode,
  pairingCommitment,
  pairingSas,
  startPairing,
} from './pairing';
export {
  fromBase64Url,
  HEADER_ACCOUNT,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  requestNonce,
  sha256Digest,
  type SignedRequestParts,
  signedRequestMessage,
  signRequest,
  type SyncAuthHeaders,
  SYNC_MAX_CLOCK_SKEW_MS,
  SYNC_NONCE_BYTES,
  SYNC_PUBLIC_KEY_BYTES,
  SYNC_SIGNATURE_BYTES,
  toBase64Url,
  type VerifiedRequest,
  verifyRequest,
} from './request-signature';
export {
  type PutResult,
  type RemotePairing,
  type RemoteRecord,
  SyncClient,
  type SyncClientOptions,
} from './client';
export {
  type ConversationCopy,
  emptyReplicaState,
  manifestRecordId,
  messageRecordId,
  type ReplicaState,
  RETIRED_RECORD_ID,
  SyncReplica,
} from './replica';
export {
  acceptPairing,
  offerPairing,
  type PairingAcceptance,
  type PairingOffer,
  type PollOptions,
} from './pairing-flow';
