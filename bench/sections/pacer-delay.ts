/**
 * Issue 13: how long text waits inside the pacer, with no model or network around it.
 * The real `PacedResponse` fed through the real `TokenBatcher` (as completions.ts feeds
 * it), sealed with real chunked OHTTP and opened by a real client: one small event
 * every 5 ms for 0.3 s; each event's wait is the time from its write to the moment the
 * client reads it. Ideal pacing: half an interval on average, one at most.
 */
import {
  createChunkedRequest,
  decodeResponseStream,
  encodeRequest,
  generateKeyConfig,
  openChunkedRequest,
  utf8,
} from '@sotto/protocol';
import { DEFAULT_PAD_SLOTS, PacedResponse, SlotChooser } from '../../enclave/src/pacer';
import { TokenBatcher } from '../../enclave/src/token-batcher';

export interface PacerDelay {
  cadenceMs: number;
  events: number;
  meanMs: number;
  maxMs: number;
}

const EVENTS = 60;
const EVERY_MS = 5;

export async function pacerDelay(cadenceMs: number): Promise<PacerDelay> {
  const key = generateKeyConfig(9);
  const client = await createChunkedRequest(key.config);
  const request = await client.encapsulate(
    encodeRequest({ method: 'POST', scheme: 'https', authority: 'bench', path: '/' }),
  );
  const gateway = await openChunkedRequest(
    new Response(request as BodyInit).body as ReadableStream<Uint8Array>,
    new Map([[9, key]]),
  );
  const { nonce, sealer } = gateway.createResponseSealer();
  const settings = { cadenceMs, slotBytes: DEFAULT_PAD_SLOTS };
  const paced = new PacedResponse(
    nonce,
    sealer,
    settings,
    new SlotChooser(settings.slotBytes),
    new AbortController().signal,
  );
  const response = decodeResponseStream(client.decapsulateResponse(paced.body));
  const written: number[] = [];
  const serving = (async () => {
    await paced.start(200, [['content-type', 'text/event-stream']]);
    const batch = new TokenBatcher((bytes) => paced.write(bytes));
    for (let i = 0; i < EVENTS; i++) {
      written.push(performance.now());
      batch.push(utf8(`data: ${i}\n\n`));
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
    await batch.drain();
    await paced.end();
  })();
  const read: number[] = [];
  const decoder = new TextDecoder();
  let text = '';
  for await (const piece of (await response).body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(piece, { stream: true });
    const now = performance.now();
    for (const m of text.matchAll(/data: (\d+)\n/g)) read[Number(m[1])] ??= now;
  }
  await serving;
  const waits = written.map((t, i) => read[i]! - t);
  return {
    cadenceMs,
    events: EVENTS,
    meanMs: Math.round((waits.reduce((a, b) => a + b, 0) / waits.length) * 10) / 10,
    maxMs: Math.round(Math.max(...waits) * 10) / 10,
  };
}
