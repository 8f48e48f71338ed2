/**
 * Sealed chat requests padded to size buckets (request-padding.ts; RFC 9292
 * §3.8 padding inside the seal): requests whose prompts differ in size but
 * share a bucket are the same size on the wire, and the gateway opens them to
 * the request that was sent.
 */
import { describe, expect, it } from 'vitest';
import { decodeRequest } from '../../src/bhttp';
import { concat, fromUtf8 } from '../../src/bytes';
import { requestBucketBytes, sealChatRequest } from '../../src/client';
import { generateKeyConfig, openChunkedRequest } from '../../src/ohttp';
import { collect, streamOf } from '../ohttp/streams';

const KEY = generateKeyConfig(7);
const KEYS = new Map([[7, KEY]]);

const sealedSize = async (content: string) =>
  (await sealChatRequest(KEY.config, { messages: [{ role: 'user', content }] })).body.length;

describe('request size buckets', () => {
  it('rounds up to powers of two from 1 KiB, never down, capped below the 4 MiB limit', () => {
    expect(requestBucketBytes(1)).toBe(1024);
    expect(requestBucketBytes(1024)).toBe(1024);
    expect(requestBucketBytes(1025)).toBe(2048);
    expect(requestBucketBytes(300_000)).toBe(512 * 1024);
    expect(requestBucketBytes(3 * 1024 * 1024)).toBe(4 * 1024 * 1024 - 16 * 1024);
    expect(requestBucketBytes(4 * 1024 * 1024)).toBe(4 * 1024 * 1024);
  });

  it('gives prompts in one bucket one sealed size, and the next bucket another', async () => {
    const small = await Promise.all(['hi', 'x'.repeat(400), 'y'.repeat(850)].map(sealedSize));
    expect(new Set(small).size).toBe(1);
    const mid = await Promise.all(['z'.repeat(1200), 'w'.repeat(1900)].map(sealedSize));
    expect(new Set(mid).size).toBe(1);
    expect(mid[0]).toBeGreaterThan(small[0]!);
    expect(await sealedSize('v'.repeat(20_000))).toBe(await sealedSize('u'.repeat(30_000)));
  });

  it('opens at the gateway to exactly the request sent, padding removed', async () => {
    const content = 'Once upon a time ' + 'é'.repeat(700);
    const sealed = await sealChatRequest(KEY.config, { messages: [{ role: 'user', content }] });
    const opened = await openChunkedRequest(streamOf([sealed.body]), KEYS);
    const plaintext = concat(...(await collect(opened.request)));
    expect(plaintext.length).toBe(2048);
    const req = decodeRequest(plaintext);
    expect(JSON.parse(fromUtf8(req.body))).toEqual({
      messages: [{ role: 'user', content }],
      stream: true,
    });
  });
});
