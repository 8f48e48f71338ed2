/**
 * The key ring (DESIGN.md, "Forward secrecy", "Post-quantum"): one key per KEM
 * per generation, one bound list, distinct key ids, and retired keys that no
 * longer exist: a request sealed to one fails even when handed straight to the
 * gateway code with the retired key object (issue 13, key erasure).
 */
import {
  decapsulateRequest,
  decodeKeyConfigList,
  encapsulateRequest,
  KEM_X25519_HKDF_SHA256,
  KEM_XWING,
  UnknownKeyError,
  utf8,
} from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../src/keys';

const NOW = new Date('2026-11-01T12:00:00Z');

async function ring() {
  const bound: Uint8Array[] = [];
  const r = await KeyRing.create({
    makeEvidence: async (list) => {
      bound.push(list);
      return `evidence-${bound.length}`;
    },
    now: () => NOW,
  });
  return { r, bound };
}

describe('key ring', () => {
  it('makes an X-Wing and an X25519 key per generation, binds both in one list, ids distinct', async () => {
    const { r, bound } = await ring();
    const first = r.current;
    expect(first.gatewayKeys.map((k) => k.config.kemId)).toEqual([
      KEM_XWING,
      KEM_X25519_HKDF_SHA256,
    ]);
    expect(decodeKeyConfigList(bound[0]!)).toEqual(first.gatewayKeys.map((k) => k.config));
    expect(first.encodedConfigs).toEqual(bound[0]);
    const second = await r.rotate();
    const ids = [...first.gatewayKeys, ...second.gatewayKeys].map((k) => k.config.keyId);
    expect(new Set(ids).size).toBe(4);
    for (const k of [...first.gatewayKeys, ...second.gatewayKeys])
      expect(r.lookup(k.config.keyId)).toBe(k);
    r.stop();
  });

  it('erases a retired generation: its keys open nothing, even handed over directly', async () => {
    const { r } = await ring();
    const retired = r.current.gatewayKeys;
    const sealed = await Promise.all(
      retired.map((k) => encapsulateRequest(k.config, utf8('sealed before rotation'))),
    );
    // Within the grace window the previous keys still open requests.
    await r.rotate();
    for (const [i, k] of retired.entries()) {
      const opened = await decapsulateRequest(sealed[i]!.encapsulated, r.lookup);
      expect(opened.request).toEqual(utf8('sealed before rotation'));
      expect(opened.keyId).toBe(k.config.keyId);
    }
    r.expirePrevious();
    for (const [i, k] of retired.entries()) {
      expect(k.privateKey.erased).toBe(true);
      expect(r.lookup(k.config.keyId)).toBeUndefined();
      await expect(decapsulateRequest(sealed[i]!.encapsulated, r.lookup)).rejects.toThrow(
        UnknownKeyError,
      );
      const direct = new Map([[k.config.keyId, k]]);
      await expect(decapsulateRequest(sealed[i]!.encapsulated, direct)).rejects.toThrow(
        UnknownKeyError,
      );
    }
    r.stop();
    for (const k of r.current.gatewayKeys) expect(k.privateKey.erased).toBe(true);
  });
});
