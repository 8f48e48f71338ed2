/**
 * X25519 through WebCrypto where the platform has it (Node ≥ 20, Chromium ≥ 133):
 * about 0.1 ms per operation against about 1.5 ms in pure JS (BENCHMARKS.md, seal).
 * Callers fall back to @noble/curves when {@link webCryptoX25519} says false.
 *
 * Private keys live here only as non-extractable `CryptoKey`s: nothing can
 * export them (no JWK, no PKCS#8), so dropping the object is erasing the key
 * (issue 13, key erasure). Public keys come from @noble/curves or from the
 * key pair WebCrypto generated, never from a private-key export.
 *
 * WebCrypto refuses an all-zero shared secret itself (WebCrypto §X25519
 * deriveBits), which is where a low-order public key ends (RFC 7748 §6.1).
 */
import { bufferSource, concat } from '../bytes';
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

/**
 * Imports a raw 32-byte X25519 private key as a non-extractable `CryptoKey`
 * (usage `deriveBits` only). The PKCS#8 copy made for the import is zeroed.
 * @throws {MalformedError} if WebCrypto refuses the key.
 */
export async function importX25519PrivateKey(privateKey: Uint8Array): Promise<CryptoKey> {
  const pkcs8 = concat(PKCS8_PREFIX, privateKey);
  try {
    return await crypto.subtle.importKey('pkcs8', bufferSource(pkcs8), ALG, false, ['deriveBits']);
  } catch (cause) {
    throw new MalformedError('X25519 private key refused', { cause });
  } finally {
    pkcs8.fill(0);
  }
}

/** A fresh ephemeral key pair: non-extractable private key, raw public key (RFC 7748 encoding). */
export async function generateWebCryptoX25519(): Promise<{
  privateKey: CryptoKey;
  publicKey: Uint8Array;
}> {
  const pair = (await crypto.subtle.generateKey(ALG, false, ['deriveBits'])) as CryptoKeyPair;
  return {
    privateKey: pair.privateKey,
    publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)),
  };
}

/**
 * DH(sk, pk). Lengths are checked by the caller.
 * @throws {MalformedError} if WebCrypto refuses the public key or the result is all zero.
 */
export async function webCryptoX25519Dh(
  privateKey: CryptoKey,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  let dh: Uint8Array;
  try {
    const pub = await crypto.subtle.importKey('raw', bufferSource(publicKey), ALG, false, []);
    const bits = await crypto.subtle.deriveBits({ name: 'X25519', public: pub }, privateKey, 256);
    dh = new Uint8Array(bits);
  } catch (cause) {
    throw new MalformedError('X25519 public key refused (low order)', { cause });
  }
  let acc = 0;
  for (const b of dh) acc |= b;
  if (acc === 0) throw new MalformedError('X25519 shared secret is all zero');
  return dh;
}
