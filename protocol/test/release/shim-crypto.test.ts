/**
 * The browser shims (protocol/src/release/shim/) against Node's own `crypto` and `util`,
 * which @sigstore/* call in Node: the same verdict on genuine, tampered and malleated
 * (high-S) signatures for every key type Sigstore's roots use, the same digests, the
 * same deep equality on what the verifier compares.
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { p256, p384 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import * as shim from '../../src/release/shim/node-crypto';
import { isDeepStrictEqual as shimDeepEqual } from '../../src/release/shim/node-util';

const data = new TextEncoder().encode('sotto release statement');

function highS(derSig: Buffer, curve: typeof p256): Uint8Array {
  const s = curve.Signature.fromBytes(derSig, 'der');
  return new curve.Signature(s.r, curve.Point.CURVE().n - s.s).toBytes('der');
}

describe('crypto shim', () => {
  const cases = [
    {
      name: 'P-256 / SHA-256',
      kp: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      alg: 'sha256',
      curve: p256,
    },
    {
      name: 'P-384 / SHA-384',
      kp: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      alg: 'sha384',
      curve: p384,
    },
    {
      name: 'P-384 / no digest named',
      kp: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      alg: undefined,
      curve: p384,
    },
    { name: 'Ed25519', kp: generateKeyPairSync('ed25519'), alg: undefined, curve: undefined },
  ] as const;
  it.each(cases)('$name: same verdicts as Node', ({ kp, alg, curve }) => {
    const spki = kp.publicKey.export({ format: 'der', type: 'spki' });
    const pem = kp.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const sig = sign(alg ?? null, data, kp.privateKey);
    const tampered = Buffer.from(data);
    tampered[0]! ^= 1;
    const inputs: [Uint8Array, Uint8Array][] = [
      [data, sig],
      [tampered, sig],
      [data, sig.subarray(0, sig.length - 1)],
    ];
    if (curve) inputs.push([data, highS(sig, curve)]);
    for (const key of [shim.createPublicKey(spki), shim.createPublicKey(pem)]) {
      for (const [d, s] of inputs) {
        expect(shim.verify(alg, d, key, s)).toBe(verify(alg ?? null, d, kp.publicKey, s));
      }
    }
    expect(shim.verify(alg, data, shim.createPublicKey(spki), sig)).toBe(true);
  });
  it('keys it cannot use (RSA, garbage) verify nothing instead of throwing', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const k = shim.createPublicKey(rsa.publicKey.export({ format: 'der', type: 'spki' }));
    expect(shim.verify('sha256', data, k, sign('sha256', data, rsa.privateKey))).toBe(false);
    expect(
      shim.verify(
        'sha256',
        data,
        shim.createPublicKey(new Uint8Array([1, 2, 3])),
        new Uint8Array(64),
      ),
    ).toBe(false);
  });
  it('hashes like Node', () => {
    for (const alg of ['sha256', 'sha384', 'sha512']) {
      expect(
        Buffer.from(shim.createHash(alg).update(data).update('x').digest()).toString('hex'),
      ).toBe(createHash(alg).update(data).update('x').digest('hex'));
    }
    expect(() => shim.createHash('md5')).toThrow();
  });
  it('compares like timingSafeEqual', () => {
    expect(shim.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(shim.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(() => shim.timingSafeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toThrow();
  });
});

describe('util shim', () => {
  it('agrees with util.isDeepStrictEqual on timestamps and byte arrays', () => {
    const a = {
      $case: 'transparency-log',
      timestamp: new Date(1000),
      logID: new Uint8Array([1, 2]),
    };
    const pairs: [unknown, unknown][] = [
      [a, { ...a }],
      [a, { ...a, timestamp: new Date(1001) }],
      [a, { ...a, logID: new Uint8Array([1, 3]) }],
      [
        [1, 2],
        [1, 2],
      ],
      [
        [1, 2],
        [2, 1],
      ],
      [{ x: 1 }, { x: 1, y: 2 }],
      [null, null],
      [1, '1'],
    ];
    for (const [x, y] of pairs) expect(shimDeepEqual(x, y)).toBe(isDeepStrictEqual(x, y));
  });
});
