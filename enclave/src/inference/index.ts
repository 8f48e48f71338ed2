/** The enclave's inference engine: model loading, thread choice, chat prompts, generation. */
export {
  createEngine,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_SEQUENCES,
  type EngineOptions,
  type InferenceEngine,
} from './engine';
export type { CompletionEvent, CompletionUsage, FinishReason } from './generate';
export { getCpuLlama, type LoadedModel, loadModel, sha256File } from './model';
export { DEFAULT_MODEL_CACHE_DIR, resolveModelPath } from './model-source';
export { type PromptFormat, plainPromptText } from './prompt';
export {
  type ChatCompletionRequest,
  type ChatMessage,
  DEFAULT_REQUEST_LIMITS,
  type NormalizedRequest,
  type RequestLimits,
  validateRequest,
} from './request';
export { chooseThreads, MAX_THREADS, parseThreadsSetting, TINY_MODEL_BYTES } from './threads';
