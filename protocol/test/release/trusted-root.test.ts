/**
 * The pinned public-good trusted root is exactly the TUF seed that @sigstore/tuf ships
 * (seeds.json, repository https://tuf-repo-cdn.sigstore.dev, target trusted_root.json).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PUBLIC_GOOD_TRUSTED_ROOT } from '../../src/release/trusted-root';

describe('pinned trusted root', () => {
  it('equals the seed in @sigstore/tuf', () => {
    const require = createRequire(import.meta.url);
    const seeds = JSON.parse(readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8'));
    const target = seeds['https://tuf-repo-cdn.sigstore.dev'].targets['trusted_root.json'];
    expect(PUBLIC_GOOD_TRUSTED_ROOT).toEqual(
      JSON.parse(Buffer.from(target, 'base64').toString('utf8')),
    );
  });
});
