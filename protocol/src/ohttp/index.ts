/** Oblivious HTTP (RFC 9458) and chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp-08). Browser-safe. */
export { type ChunkSealer, FINAL_CHUNK_AAD } from './chunk-codec';
export {
  type ChunkedLimits,
  DEFAULT_MAX_CHUNK_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  DEFAULT_SEND_CHUNK_BYTES,
} from './chunk-stream';
export {
  type ChunkedClientOptions,
  ChunkedClientRequest,
  createChunkedRequest,
} from './chunked-client';
export {
  ChunkedGatewayRequest,
  type ChunkedResponseOptions,
  openChunkedRequest,
} from './chunked-gateway';
export {
  DEFAULT_KEM_PREFERENCE,
  decodeKeyConfig,
  decodeKeyConfigList,
  encodeKeyConfig,
  encodeKeyConfigList,
  type GatewayKey,
  generateKeyConfig,
  type KeyConfig,
  keyConfigFingerprint,
  OHTTP_KEYS_MEDIA_TYPE,
  type SymmetricAlgorithms,
  selectKeyConfig,
  selectSymmetric,
} from './key-config';
export {
  type ClientOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
  decapsulateRequest,
  encapsulateRequest,
  OhttpClientRequest,
  OhttpGatewayRequest,
} from './ohttp';
export {
  type KeyStore,
  OHTTP_CHUNKED_REQUEST_MEDIA_TYPE,
  OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE,
  OHTTP_REQUEST_MEDIA_TYPE,
  OHTTP_RESPONSE_MEDIA_TYPE,
  type RequestHeader,
} from './request-header';
export type { ResponseOptions } from './response-key';
