/**
 * DESIGN.md "Trust boundaries": the backend (relay and sync service) must not
 * import anything that can open a ciphertext. Scans every import in backend/src
 * and the backend's declared dependencies. The sync service verifies request
 * signatures through exactly one protocol module; its whole import closure is
 * walked and may reach Ed25519 and SHA-256, nothing that decrypts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const backendDir = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(backendDir, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sourceFiles(join(dir, d.name))
      : /\.(ts|tsx|js|mjs|cjs|mts|cts|json)$/.test(d.name)
        ? [join(dir, d.name)]
        : [],
  );
}

/** Module specifiers of static imports, re-exports, dynamic imports and require calls. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ];
  for (const p of patterns) for (const m of code.matchAll(p)) found.push(m[1]!);
  return found;
}

const FORBIDDEN_MODULE =
  /^(@sotto\/protocol|@noble\/|@hpke\/|hpke|ohttp|tweetnacl|libsodium|node-forge|jose)/;
/** The one protocol module the backend may import: signature verification, no decryption. */
const VERIFY_ONLY = '@sotto/protocol/sync/request-signature';
const protocolSrc = join(backendDir, '..', 'protocol', 'src');
/** Outside packages the verify-only closure may reach. */
const CLOSURE_PACKAGES = /^@noble\/(curves\/ed25519|hashes\/sha2)\.js$/;

/** Every protocol file `entry` reaches through relative imports, with its package imports. */
function closure(entry: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (file: string) => {
    if (out.has(file)) return;
    const specs = specifiers(readFileSync(file, 'utf8'));
    out.set(
      file,
      specs.filter((s) => !s.startsWith('.')),
    );
    for (const s of specs.filter((x) => x.startsWith('.'))) {
      visit(join(file, '..', s.endsWith('.ts') ? s : `${s}.ts`));
    }
  };
  visit(entry);
  return out;
}
const CRYPTO_MODULE = /^(node:)?crypto$/;

describe('backend/src cannot open a ciphertext', () => {
  const files = sourceFiles(srcDir);

  it('finds the sources it scans, and its patterns catch what they should', () => {
    for (const bad of [
      '@sotto/protocol',
      '@sotto/protocol/ohttp/gateway',
      '@noble/ciphers/chacha.js',
      '@hpke/core',
    ]) {
      expect(bad).toMatch(FORBIDDEN_MODULE);
    }
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(specifiers("import x from 'a';\nexport { y } from \"b\";\nawait import('c');")).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it.each(files.map((f) => [f.slice(backendDir.length)]))('%s imports no crypto library', (rel) => {
    const code = readFileSync(join(backendDir, rel), 'utf8');
    for (const spec of specifiers(code)) {
      if (spec === VERIFY_ONLY && rel.startsWith('src/sync/')) continue;
      expect(spec, `${rel} imports ${spec}`).not.toMatch(FORBIDDEN_MODULE);
      expect(spec, `${rel} reaches outside backend/`).not.toMatch(/^(\.\.\/){2,}/);
    }
    // node:crypto only for random request ids.
    const cryptoImports = [
      ...code.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"](?:node:)?crypto['"]/g),
    ];
    for (const m of cryptoImports) {
      const names = m[1]!
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      expect(names, `${rel} takes more than randomUUID from node:crypto`).toEqual(['randomUUID']);
    }
    const otherCrypto = specifiers(code).filter((s) => CRYPTO_MODULE.test(s)).length;
    expect(otherCrypto, `${rel} imports node:crypto in another form`).toBe(cryptoImports.length);
    expect(code).not.toMatch(/createDecipheriv|subtle\s*\.\s*decrypt|webcrypto|crypto\.subtle/i);
  });

  it('reaches only signature verification through the one protocol module it imports', () => {
    const files = closure(join(protocolSrc, 'sync', 'request-signature.ts'));
    expect([...files.keys()].map((f) => f.slice(protocolSrc.length + 1)).sort()).toEqual([
      'bytes.ts',
      'errors.ts',
      'sealed/aad.ts',
      'sync/request-signature.ts',
    ]);
    for (const [file, packages] of files) {
      for (const p of packages) expect(p, `${file} imports ${p}`).toMatch(CLOSURE_PACKAGES);
      // no WebCrypto, no decrypt call, no cipher constructor
      expect(readFileSync(file, 'utf8')).not.toMatch(
        /\bsubtle\b|\.decrypt\s*\(|createDecipher|chacha|\baes/i,
      );
    }
    // and the pattern would catch what matters
    expect('@noble/ciphers/chacha.js').not.toMatch(CLOSURE_PACKAGES);
    expect('@noble/curves/ed25519.js').toMatch(CLOSURE_PACKAGES);
  });

  it('declares no crypto dependency', () => {
    const pkg = JSON.parse(readFileSync(join(backendDir, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    const deps = Object.keys({
      ...pkg.dependencies,
      ...pkg.devDependencies,
      ...pkg.peerDependencies,
    });
    for (const d of deps) expect(d).not.toMatch(FORBIDDEN_MODULE);
  });
});
