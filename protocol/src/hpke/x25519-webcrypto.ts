/**
 * X25519 through WebCrypto where the platform has it (Node ≥ 20, Chromium ≥ 133):
 * about 0.1 ms per operation against about 1.5 ms in pure JS (BENCHMARKS.md, seal).
 * Callers fall back to @noble/curves when this returns `undefined`.
 *
 * WebCrypto refuses an all-zero shared secret itself (WebCrypto §X25519
 * deriveBits), which is where a low-order public key ends (RFC 7748 §6.1).
 */
import { bufferSource, concat, fromBase64 } from '../bytes';
import { MalformedError } from '../errors';

const ALG = { name: 'X25519' } as const;
/** PKCS#8 PrivateKeyInfo prefix for a raw X25519 key (RFC 8410 §7). */
const PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
/** The RFC 7748 §5.2 base point u = 9: a valid public key for the feature probe. */
const PROBE_PUBLIC = new Uint8Array(32);
PROBE_PUBLIC[0] = 9;

let supported: Promise<boolean> | undefined;

/** Whether this platform's WebCrypto speaks X25519 (probed once). */
export function webCryptoX25519(): Promise<boolean> {
  supported ??= (async () => {
    try {
      const subtle = globalThis.crypto?.subtle;
      if (!subtle) return false;
      await subtle.importKey('raw', PROBE_PUBLIC, ALG, false, []);
      return true;
    } catch {
      return false;
    }
  })();
  return supported;
}

// Long-lived gateway keys are imported once; the map holds them weakly.
const importedPrivate = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importPrivate(privateKey: Uint8Array): Promise<CryptoKey> {
  let key = importedPrivate.get(privateKey);
  if (!key) {
    key = crypto.subtle.importKey(
      'pkcs8',
      bufferSource(concat(PKCS8_PREFIX, privateKey)),
      ALG,
      true,
      ['deriveBits'],
    );
    importedPrivate.set(privateKey, key);
  }
  return key;
}

function fromBase64Url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

/** The public key of a raw private key (through its JWK export, which carries `x`). */
export async function webCryptoX25519PublicKey(privateKey: Uint8Array): Promise<Uint8Array> {
  const jwk = await crypto.subtle.exportKey('jwk', await importPrivate(privateKey));
  if (typeof jwk.x !== 'string') throw new MalformedError('X25519 key export has no public part');
  return fromBase64Url(jwk.x);
}

/**
 * DH(sk, pk). Lengths are checked by the caller.
 * @throws {MalformedError} if WebCrypto refuses the public key or the result is all zero.
 */
export async function webCryptoX25519Dh(
  privateKey: Uint8Array,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  let dh: Uint8Array;
  try {
    const pub = await crypto.subtle.importKey('raw', bufferSource(publicKey), ALG, false, []);
    const bits = await crypto.subtle.deriveBits(
      { name: 'X25519', public: pub },
      await importPrivate(privateKey),
      256,
    );
    dh = new Uint8Array(bits);
  } catch (cause) {
    throw new MalformedError('X25519 public key refused (low order)', { cause });
  }
  let acc = 0;
  for (const b of dh) acc |= b;
  if (acc === 0) throw new MalformedError('X25519 shared secret is all zero');
  return dh;
}
