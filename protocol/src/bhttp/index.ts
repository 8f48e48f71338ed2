/** Binary HTTP (RFC 9292): one-shot and streaming encoders and decoders. */
export { type BhttpDecodeOptions, decodeRequest, decodeResponse } from './decode';
export {
  type BhttpEncodeOptions,
  encodeRequest,
  encodeResponse,
  MAX_PADDING_BYTES,
} from './encode';
export { type BhttpLimits, DEFAULT_BHTTP_LIMITS } from './limits';
export {
  createPaddedResponseFramer,
  PAD_SLOT_BYTES,
  type PaddedResponseFramer,
  sseFiller,
} from './padded-stream';
export { type BhttpStreamedResponse, decodeResponseStream } from './stream-decoder';
export {
  type BhttpResponseEncoder,
  type BhttpResponseHeadInit,
  createResponseEncoder,
  createResponseEncoderStream,
} from './stream-encoder';
export type {
  BhttpField,
  BhttpFraming,
  BhttpInformational,
  BhttpRequest,
  BhttpRequestInit,
  BhttpResponse,
  BhttpResponseInit,
} from './types';
