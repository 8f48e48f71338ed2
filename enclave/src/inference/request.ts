/**
 * The OpenAI-compatible chat completion request the enclave serves (DESIGN.md, "Inner message":
 * `POST /v1/chat/completions`), validated into the engine's own normalised form. The request
 * arrives as parsed JSON from a sealed message, so every field is checked for type and bound
 * here; error messages name the field and the bound, never the content.
 */
import { LimitExceededError, MalformedError, UnsupportedError } from '@sotto/protocol';

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant';

/** OpenAI message: `content` is a string or an array of `{type: 'text', text}` parts. */
export interface ChatMessage {
  role: ChatRole;
  content: string | ReadonlyArray<{ type: 'text'; text: string }>;
}

/** The fields of an OpenAI chat completion request the engine reads; others are ignored. */
export interface ChatCompletionRequest {
  messages: readonly ChatMessage[];
  max_tokens?: number;
  /** Newer OpenAI name for `max_tokens`; wins when both are given. */
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | readonly string[];
  seed?: number;
  /** Sotto: a random id per conversation; only requests with the same id share cached prefixes. */
  cache_id?: string;
  stream?: boolean;
  n?: number;
  model?: string;
}

/** Bounds on a request. Character counts are UTF-16 code units, as JavaScript counts them. */
export interface RequestLimits {
  maxMessages: number;
  maxMessageChars: number;
  maxTotalChars: number;
  /** The largest `max_tokens` accepted; also the default when a request gives none. */
  maxTokens: number;
  maxStopSequences: number;
  maxStopChars: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxMessages: 256,
  maxMessageChars: 256 * 1024,
  maxTotalChars: 512 * 1024,
  maxTokens: 2048,
  maxStopSequences: 4,
  maxStopChars: 64,
};

/** A validated request: system/developer folded to `system`, content parts joined. */
export interface NormalizedRequest {
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  maxTokens: number;
  /** 0 means greedy decoding. */
  temperature: number;
  topP: number;
  stop: string[];
  /** Sampling seed (uint32); absent means a fresh random seed per request. */
  seed?: number;
  /** Scope of KV prefix reuse (sequence-pool.ts); absent: no reuse. */
  cacheId?: string;
}

/** 16 to 64 URL-safe characters: at least 96 bits when random base64url. */
const CACHE_ID = /^[A-Za-z0-9_-]{16,64}$/;

const ROLES = new Set<string>(['system', 'developer', 'user', 'assistant']);

/**
 * Checks a parsed request body and returns its normalised form.
 *
 * @throws MalformedError when a field has the wrong type or is out of its valid range.
 * @throws LimitExceededError when a count or size is over `limits` (an HTTP layer maps it to 413).
 * @throws UnsupportedError when the request asks for more than one choice (`n` > 1).
 */
export function validateRequest(
  body: unknown,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
): NormalizedRequest {
  if (!isRecord(body)) throw new MalformedError('request body must be a JSON object');
  const messages = parseMessages(body.messages, limits);

  const rawMax = body.max_completion_tokens ?? body.max_tokens;
  let maxTokens = limits.maxTokens;
  if (rawMax !== undefined && rawMax !== null) {
    if (!Number.isInteger(rawMax) || (rawMax as number) < 1) {
      throw new MalformedError('max_tokens must be a positive integer');
    }
    if ((rawMax as number) > limits.maxTokens) {
      throw new LimitExceededError(`max_tokens is over the limit of ${limits.maxTokens}`);
    }
    maxTokens = rawMax as number;
  }

  const temperature = optionalNumber(body.temperature, 'temperature', 0, 2) ?? 1;
  const topP = optionalNumber(body.top_p, 'top_p', 0, 1) ?? 1;
  if (topP === 0) throw new MalformedError('top_p must be greater than 0');

  let seed: number | undefined;
  if (body.seed !== undefined && body.seed !== null) {
    if (
      !Number.isInteger(body.seed) ||
      (body.seed as number) < 0 ||
      (body.seed as number) > 0xffffffff
    ) {
      throw new MalformedError('seed must be an integer from 0 to 4294967295');
    }
    seed = body.seed as number;
  }

  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    if (!Number.isInteger(body.n) || (body.n as number) < 1) {
      throw new MalformedError('n must be a positive integer');
    }
    throw new UnsupportedError('only n = 1 is supported');
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new MalformedError('stream must be a boolean');
  }

  let cacheId: string | undefined;
  if (body.cache_id !== undefined && body.cache_id !== null) {
    if (typeof body.cache_id !== 'string' || !CACHE_ID.test(body.cache_id)) {
      throw new MalformedError('cache_id must be 16 to 64 characters from A-Z a-z 0-9 _ -');
    }
    cacheId = body.cache_id;
  }

  return {
    messages,
    maxTokens,
    temperature,
    topP,
    stop: parseStop(body.stop, limits),
    ...(seed === undefined ? {} : { seed }),
    ...(cacheId === undefined ? {} : { cacheId }),
  };
}

function parseMessages(raw: unknown, limits: RequestLimits): NormalizedRequest['messages'] {
  if (!Array.isArray(raw)) throw new MalformedError('messages must be an array');
  if (raw.length === 0) throw new MalformedError('messages must not be empty');
  if (raw.length > limits.maxMessages) {
    throw new LimitExceededError(`more than ${limits.maxMessages} messages`);
  }
  let total = 0;
  return raw.map((item: unknown, index) => {
    if (!isRecord(item)) throw new MalformedError(`messages[${index}] must be an object`);
    if (typeof item.role !== 'string' || !ROLES.has(item.role)) {
      throw new MalformedError(
        `messages[${index}].role must be one of system, developer, user, assistant`,
      );
    }
    const content = parseContent(item.content, index);
    if (content.length > limits.maxMessageChars) {
      throw new LimitExceededError(
        `messages[${index}].content is over the limit of ${limits.maxMessageChars} characters`,
      );
    }
    total += content.length;
    if (total > limits.maxTotalChars) {
      throw new LimitExceededError(
        `messages are over the limit of ${limits.maxTotalChars} characters`,
      );
    }
    const role =
      item.role === 'developer' ? 'system' : (item.role as 'system' | 'user' | 'assistant');
    return { role, content };
  });
}

function parseContent(raw: unknown, index: number): string {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    return raw
      .map((part: unknown, partIndex) => {
        if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') {
          throw new MalformedError(
            `messages[${index}].content[${partIndex}] must be a {type: "text", text} part`,
          );
        }
        return part.text;
      })
      .join('');
  }
  throw new MalformedError(`messages[${index}].content must be a string or an array of text parts`);
}

function parseStop(raw: unknown, limits: RequestLimits): string[] {
  if (raw === undefined || raw === null) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
    throw new MalformedError('stop must be a string or an array of strings');
  }
  if (list.length > limits.maxStopSequences) {
    throw new LimitExceededError(`more than ${limits.maxStopSequences} stop sequences`);
  }
  for (const s of list as string[]) {
    if (s.length === 0) throw new MalformedError('stop sequences must not be empty');
    if (s.length > limits.maxStopChars) {
      throw new LimitExceededError(`a stop sequence is over ${limits.maxStopChars} characters`);
    }
  }
  return list as string[];
}

function optionalNumber(raw: unknown, name: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < min || raw > max) {
    throw new MalformedError(`${name} must be a number from ${min} to ${max}`);
  }
  return raw;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
