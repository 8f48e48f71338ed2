/**
 * The two clients item 1 compares, timed the same way: the encrypted one (seal with the
 * protocol client, post through the relay, open each sealed chunk, parse the inner SSE) and
 * the plaintext one (post JSON to the bench-only plain route, parse the same SSE). Both use
 * Node's `fetch`, so the HTTP client is the same on both sides.
 */
import {
  type ChatRequest,
  type KeyConfig,
  postSealed,
  SseParser,
  sealChatRequest,
} from '@sotto/protocol';

export interface ChatTiming {
  /** Request start (before sealing, on the encrypted side) to the first text delta. */
  ttftMs: number;
  /** Request start to the end of the answer. */
  totalMs: number;
  completionTokens: number;
  /** (completion tokens − 1) / (last delta − first delta): decode speed as the client sees it. */
  tokensPerSecond: number;
}

function timing(
  start: number,
  first: number,
  last: number,
  end: number,
  completionTokens: number,
): ChatTiming {
  return {
    ttftMs: first - start,
    totalMs: end - start,
    completionTokens,
    tokensPerSecond: last > first ? ((completionTokens - 1) * 1000) / (last - first) : Number.NaN,
  };
}

/** Encrypted: chunked OHTTP to `relayUrl` (relay → enclave), as the extension does. */
export async function sealedChat(
  relayUrl: string,
  keyConfig: KeyConfig,
  request: ChatRequest,
): Promise<ChatTiming> {
  const start = performance.now();
  const sealed = await sealChatRequest(keyConfig, request);
  const body = await postSealed(relayUrl, sealed);
  let first = Number.NaN;
  let last = Number.NaN;
  let tokens = 0;
  for await (const ev of sealed.openResponse(body)) {
    if (ev.type === 'delta') {
      last = performance.now();
      if (Number.isNaN(first)) first = last;
    } else {
      tokens = ev.usage?.completion_tokens ?? 0;
    }
  }
  return timing(start, first, last, performance.now(), tokens);
}

/** Plaintext: the same inner request as JSON to the bench enclave's plain route. */
export async function plainChat(enclaveUrl: string, request: ChatRequest): Promise<ChatTiming> {
  const start = performance.now();
  const res = await fetch(`${enclaveUrl}/bench/plain/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...request, stream: true }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`plain route answered ${res.status}`);
  const parser = new SseParser();
  let first = Number.NaN;
  let last = Number.NaN;
  let tokens = 0;
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (const data of parser.push(bytes)) {
      if (data === '[DONE]') continue;
      const ev = JSON.parse(data) as {
        choices?: { delta?: { content?: string } }[];
        usage?: { completion_tokens: number };
      };
      const text = ev.choices?.[0]?.delta?.content;
      if (typeof text === 'string' && text !== '') {
        last = performance.now();
        if (Number.isNaN(first)) first = last;
      }
      if (ev.usage) tokens = ev.usage.completion_tokens;
    }
  }
  return timing(start, first, last, performance.now(), tokens);
}
