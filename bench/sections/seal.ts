/**
 * Item 2: what chunked OHTTP (draft-ietf-ohai-chunked-ohttp) costs over the bare AEAD. Seal and
 * open 1 MiB as a chunked request — HPKE setup on both sides (X25519, HKDF), framing, per-chunk
 * nonces, the final-chunk AAD — against `aeadKey` sealing and opening the same bytes in the
 * same chunks with one key. Runs interleaved; the figure is the median paired ratio.
 */
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  type AeadId,
  aeadKey,
  createChunkedRequest,
  generateKeyConfig,
  openChunkedRequest,
} from '@sotto/protocol';
import { interleaved, pairedRatio, roundSummary, type Summary, summarize } from '../lib/stats';

export interface SealCase {
  aead: 'AES-128-GCM' | 'ChaCha20-Poly1305';
  chunkBytes: number;
  ohttpMs: Summary;
  bareAeadMs: Summary;
  /** HPKE setup on both sides plus an empty message: the fixed part of `ohttpMs`. */
  setupMs: Summary;
  ratio: Summary;
  /** (ohttp − setup) / bare: the per-byte part alone. */
  ratioWithoutSetup: Summary;
}

const TOTAL_BYTES = 2 ** 20;

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) n += c.length;
  return n;
}

function once(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

async function ohttpRoundTrip(aeadId: AeadId, chunkBytes: number, data: Uint8Array) {
  const key = generateKeyConfig(1, [aeadId]);
  const keys = new Map([[1, key]]);
  const t = performance.now();
  const client = await createChunkedRequest(key.config, { chunkBytes, aeadPreference: [aeadId] });
  const body = await client.encapsulate(data);
  const opened = await openChunkedRequest(once(body), keys);
  const n = await drain(opened.request);
  const ms = performance.now() - t;
  if (n !== data.length) throw new Error('chunked OHTTP round trip lost bytes');
  return ms;
}

async function bareRoundTrip(aeadId: AeadId, chunkBytes: number, data: Uint8Array) {
  const k = crypto.getRandomValues(new Uint8Array(aeadId === AEAD_AES_128_GCM ? 16 : 32));
  const nonce = new Uint8Array(12);
  const aad = new Uint8Array(0);
  const t = performance.now();
  const sealKey = aeadKey(aeadId, k);
  const sealed: Uint8Array[] = [];
  for (let o = 0, i = 0; o < data.length; o += chunkBytes, i++) {
    new DataView(nonce.buffer).setUint32(8, i);
    sealed.push(await sealKey.seal(nonce, aad, data.subarray(o, o + chunkBytes)));
  }
  const openKey = aeadKey(aeadId, k);
  let n = 0;
  for (let i = 0; i < sealed.length; i++) {
    new DataView(nonce.buffer).setUint32(8, i);
    n += (await openKey.open(nonce, aad, sealed[i]!)).length;
  }
  const ms = performance.now() - t;
  if (n !== data.length) throw new Error('bare AEAD round trip lost bytes');
  return ms;
}

export async function benchSeal(reps: number): Promise<SealCase[]> {
  const data = crypto.getRandomValues(new Uint8Array(TOTAL_BYTES).subarray(0, 65536));
  const full = new Uint8Array(TOTAL_BYTES);
  for (let o = 0; o < TOTAL_BYTES; o += data.length) full.set(data, o);
  const cases: SealCase[] = [];
  const plan: [SealCase['aead'], AeadId, number][] = [
    ['AES-128-GCM', AEAD_AES_128_GCM, 16 * 1024],
    ['AES-128-GCM', AEAD_AES_128_GCM, 1024],
    ['ChaCha20-Poly1305', AEAD_CHACHA20_POLY1305, 16 * 1024],
  ];
  for (const [name, id, chunkBytes] of plan) {
    const r = await interleaved(
      {
        ohttp: () => ohttpRoundTrip(id, chunkBytes, full),
        bare: () => bareRoundTrip(id, chunkBytes, full),
        setup: () => ohttpRoundTrip(id, chunkBytes, new Uint8Array(0)),
      },
      reps,
      3,
    );
    cases.push({
      aead: name,
      chunkBytes,
      ohttpMs: roundSummary(summarize(r.ohttp)),
      bareAeadMs: roundSummary(summarize(r.bare)),
      setupMs: roundSummary(summarize(r.setup)),
      ratio: roundSummary(pairedRatio(r.ohttp, r.bare)),
      ratioWithoutSetup: roundSummary(
        pairedRatio(
          r.ohttp.map((v, i) => v - r.setup[i]!),
          r.bare,
        ),
      ),
    });
  }
  return cases;
}
