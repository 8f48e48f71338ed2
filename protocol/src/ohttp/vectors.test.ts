import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collect, fragment, readAll, streamOf, trickle } from '../../test/ohttp/streams';
import { concat, fromHex, toHex, utf8 } from '../bytes';
import { aeadKey } from '../hpke/aead';
import { setupSender } from '../hpke/context';
import { x25519PublicKey } from '../hpke/dhkem-x25519';
import { recipientKey } from '../hpke/kem';
import { hkdfExpand, hkdfExtract } from '../hpke/kdf';
import { AEAD_AES_128_GCM, hpkeSuite } from '../hpke/suite';
import { FINAL_CHUNK_AAD } from './chunk-codec';
import { createChunkedRequest } from './chunked-client';
import { openChunkedRequest } from './chunked-gateway';
import { decodeKeyConfig, encodeKeyConfig, type GatewayKey } from './key-config';
import { decapsulateRequest, encapsulateRequest } from './ohttp';
import { LABEL_CHUNKED_REQUEST, LABEL_REQUEST, requestInfo } from './request-header';

const load = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../../shared/vectors/ohttp/${name}`, import.meta.url), 'utf8'),
  );

interface Common {
  suite: { kem_id: number; kdf_id: number; aead_id: number; key_id: number };
  server_sk_x25519: string;
  key_config: string;
  request_bhttp: string;
  client_ephemeral_sk: string;
  client_ephemeral_pk_enc: string;
  hpke_info: string;
  encapsulated_request: string;
  response_bhttp: string;
  response_export_label: string;
  response_exported_secret: string;
  response_nonce: string;
  response_salt: string;
  response_prk: string;
  response_aead_key: string;
  encapsulated_response: string;
}

const A = load('rfc9458_appendixA.json') as Common & {
  server_pk_x25519: string;
  response_aead_nonce: string;
};
const C = load('chunked-ohttp-08_example.json') as Common & {
  response_aead_base_nonce: string;
  request_chunks: { plaintext: string; aad: string; encoded: string; final?: boolean }[];
  response_chunks: {
    plaintext: string;
    nonce: string;
    aad: string;
    encoded: string;
    counter: number;
  }[];
};

function gatewayKey(configHex: string, skHex: string): GatewayKey {
  const config = decodeKeyConfig(fromHex(configHex));
  return { config, privateKey: recipientKey(config.kemId, fromHex(skHex)) };
}

describe('RFC 9458 Appendix A, byte for byte', () => {
  const key = gatewayKey(A.key_config, A.server_sk_x25519);
  const keys = new Map([[1, key]]);

  it('key config decodes, re-encodes, and matches the secret key', () => {
    expect(key.config).toMatchObject({
      keyId: 1,
      kemId: 0x20,
      symmetric: [
        { kdfId: 1, aeadId: 1 },
        { kdfId: 1, aeadId: 3 },
      ],
    });
    expect(toHex(encodeKeyConfig(key.config))).toBe(A.key_config);
    expect(toHex(x25519PublicKey(fromHex(A.server_sk_x25519)))).toBe(A.server_pk_x25519);
    expect(toHex(key.config.publicKey)).toBe(A.server_pk_x25519);
  });

  it('client reproduces the encapsulated request (80 bytes, whatever the example Content-Length says)', async () => {
    const req = await encapsulateRequest(key.config, fromHex(A.request_bhttp), {
      __unsafeTestOnlyEphemeralPrivateKey: fromHex(A.client_ephemeral_sk),
    });
    expect(toHex(req.encapsulated)).toBe(A.encapsulated_request);
    expect(req.encapsulated).toHaveLength(80);
    expect(toHex(requestInfo(LABEL_REQUEST, req.encapsulated.subarray(0, 7)))).toBe(A.hpke_info);
  });

  it('gateway opens the request and reproduces the encapsulated response (35 bytes)', async () => {
    const g = await decapsulateRequest(fromHex(A.encapsulated_request), keys);
    expect(toHex(g.request)).toBe(A.request_bhttp);
    expect(g.keyId).toBe(1);
    const res = await g.encapsulateResponse(fromHex(A.response_bhttp), {
      __unsafeTestOnlyResponseNonce: fromHex(A.response_nonce),
    });
    expect(toHex(res)).toBe(A.encapsulated_response);
    expect(res).toHaveLength(35);
  });

  it('client opens the vector response', async () => {
    const req = await encapsulateRequest(key.config, fromHex(A.request_bhttp), {
      __unsafeTestOnlyEphemeralPrivateKey: fromHex(A.client_ephemeral_sk),
    });
    expect(toHex(await req.decapsulateResponse(fromHex(A.encapsulated_response)))).toBe(
      A.response_bhttp,
    );
  });

  it('intermediate values: exported secret, salt, PRK, AEAD key and nonce', async () => {
    const suite = hpkeSuite(A.suite.kem_id, A.suite.kdf_id, A.suite.aead_id);
    const ctx = await setupSender(suite, key.config.publicKey, fromHex(A.hpke_info), {
      __unsafeTestOnlyEphemeralPrivateKey: fromHex(A.client_ephemeral_sk),
    });
    expect(toHex(ctx.enc)).toBe(A.client_ephemeral_pk_enc);
    const secret = ctx.export(utf8(A.response_export_label), 16);
    expect(toHex(secret)).toBe(A.response_exported_secret);
    const salt = concat(ctx.enc, fromHex(A.response_nonce));
    expect(toHex(salt)).toBe(A.response_salt);
    const prk = hkdfExtract(salt, secret);
    expect(toHex(prk)).toBe(A.response_prk);
    expect(toHex(hkdfExpand(prk, utf8('key'), 16))).toBe(A.response_aead_key);
    expect(toHex(hkdfExpand(prk, utf8('nonce'), 12))).toBe(A.response_aead_nonce);
  });
});

describe('draft-ietf-ohai-chunked-ohttp-08 Example, every chunk', () => {
  const key = gatewayKey(C.key_config, C.server_sk_x25519);
  const keys = new Map([[1, key]]);
  const eph = { __unsafeTestOnlyEphemeralPrivateKey: fromHex(C.client_ephemeral_sk) };
  const reqChunks = C.request_chunks;
  const resChunks = C.response_chunks;

  it('key config round-trips', () => {
    expect(toHex(encodeKeyConfig(key.config))).toBe(C.key_config);
  });

  it('client seals each request chunk (12 B, 13 B, empty final with AAD "final")', async () => {
    const req = await createChunkedRequest(key.config, eph);
    expect(toHex(req.header)).toBe(`01002000010001${C.client_ephemeral_pk_enc}`);
    expect(toHex(requestInfo(LABEL_CHUNKED_REQUEST, req.header.subarray(0, 7)))).toBe(C.hpke_info);
    expect(reqChunks.map((c) => c.aad)).toEqual(['', '', toHex(FINAL_CHUNK_AAD)]);
    const out = [
      await req.sealChunk(fromHex(reqChunks[0]!.plaintext)),
      await req.sealChunk(fromHex(reqChunks[1]!.plaintext)),
      await req.sealFinal(),
    ];
    expect(out.map(toHex)).toEqual(reqChunks.map((c) => c.encoded));
    expect(toHex(concat(req.header, ...out))).toBe(C.encapsulated_request);
  });

  it('client stream encapsulation reproduces the request when the body arrives as 12 + 13 bytes', async () => {
    const req = await createChunkedRequest(key.config, eph);
    const body = streamOf(reqChunks.slice(0, 2).map((c) => fromHex(c.plaintext)));
    const out = await collect(req.encapsulateStream(body));
    expect(out.map(toHex)).toEqual([toHex(req.header), ...reqChunks.map((c) => c.encoded)]);
  });

  it('gateway opens the vector request fed one byte at a time, yielding chunks 12 and 13', async () => {
    const g = await openChunkedRequest(trickle(fromHex(C.encapsulated_request)), keys);
    const chunks = await collect(g.request);
    expect(chunks.map(toHex)).toEqual([reqChunks[0]!.plaintext, reqChunks[1]!.plaintext]);
    expect(toHex(concat(...chunks))).toBe(C.request_bhttp);
  });

  it('gateway seals the response chunk by chunk, reproducing every chunk', async () => {
    const g = await openChunkedRequest(streamOf([fromHex(C.encapsulated_request)]), keys);
    await readAll(g.request);
    const t = g.createResponseEncapsulator({
      __unsafeTestOnlyResponseNonce: fromHex(C.response_nonce),
    });
    const reader = t.readable.getReader();
    const writer = t.writable.getWriter();
    expect(toHex((await reader.read()).value!)).toBe(C.response_nonce);
    // Each write comes out as one chunk before the next is written: nothing is buffered.
    void writer.write(fromHex(resChunks[0]!.plaintext));
    expect(toHex((await reader.read()).value!)).toBe(resChunks[0]!.encoded);
    void writer.write(fromHex(resChunks[1]!.plaintext));
    expect(toHex((await reader.read()).value!)).toBe(resChunks[1]!.encoded);
    void writer.close();
    expect(toHex((await reader.read()).value!)).toBe(resChunks[2]!.encoded);
    expect((await reader.read()).done).toBe(true);
  });

  it('response chunk nonces and final AAD match the example', async () => {
    const secret = fromHex(C.response_exported_secret);
    const prk = hkdfExtract(fromHex(C.response_salt), secret);
    expect(toHex(prk)).toBe(C.response_prk);
    expect(toHex(hkdfExpand(prk, utf8('key'), 16))).toBe(C.response_aead_key);
    expect(toHex(hkdfExpand(prk, utf8('nonce'), 12))).toBe(C.response_aead_base_nonce);
    const aead = aeadKey(AEAD_AES_128_GCM, fromHex(C.response_aead_key));
    for (const c of resChunks) {
      const sealed = await aead.seal(fromHex(c.nonce), fromHex(c.aad), fromHex(c.plaintext));
      const prefix = c.aad === '' ? toHex(new Uint8Array([sealed.length])) : '00';
      expect(prefix + toHex(sealed)).toBe(c.encoded);
    }
    // The gateway's real context exports the same secret: its whole-body helper seals
    // 0140c8 as one chunk under the same key, which the vector's client opens.
    const g = await openChunkedRequest(streamOf([fromHex(C.encapsulated_request)]), keys);
    const whole = await g.encapsulateResponse(fromHex(C.response_bhttp), {
      __unsafeTestOnlyResponseNonce: fromHex(C.response_nonce),
    });
    const req = await createChunkedRequest(key.config, eph);
    expect(toHex(await readAll(req.decapsulateResponse(streamOf([whole]))))).toBe(C.response_bhttp);
  });

  it('client opens the vector response at any fragmentation, yielding chunks 01 and 40c8', async () => {
    for (const sizes of [[1], [2, 3], [5], [100]]) {
      const req = await createChunkedRequest(key.config, eph);
      const out = await collect(
        req.decapsulateResponse(streamOf(fragment(fromHex(C.encapsulated_response), sizes))),
      );
      expect(out.map(toHex)).toEqual(['01', '40c8']);
    }
  });
});
