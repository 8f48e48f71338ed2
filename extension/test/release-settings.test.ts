/**
 * Release settings (services/settings.ts): the project's own release identity by
 * default, every field checked on update, hostile values refused with `invalid` and
 * nothing changed, bad stored values repaired to the default.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SOTTO_RELEASE_IDENTITY } from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import { createTestSigstore } from '../../protocol/test/release/test-sigstore';
import { DEFAULT_SETTINGS, mergeSettings, settingsFromStorage } from '../src/services/settings';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ format: 'pem', type: 'spki' })
  .toString();

describe('release settings', () => {
  it("default to the project's release identity and the pinned root", () => {
    expect(DEFAULT_SETTINGS.release).toEqual({
      ...SOTTO_RELEASE_IDENTITY,
      trustedRoot: '',
      managedKeys: [],
    });
  });
  it('accept another repository, a custom trusted root and release keys', async () => {
    const root = JSON.stringify(
      (await createTestSigstore(new Date('2026-01-01T00:00:00Z'))).trustedRoot,
    );
    const next = mergeSettings(DEFAULT_SETTINGS, {
      release: {
        ...DEFAULT_SETTINGS.release,
        repository: 'me/fork',
        trustedRoot: root,
        managedKeys: [pem, pem],
      },
    });
    expect(next.release).toMatchObject({
      repository: 'me/fork',
      trustedRoot: root,
      managedKeys: [pem],
    });
  });
  it.each([
    ['a branch as the release ref', { tagPrefix: 'refs/heads/main' }],
    ['a repository that is not owner/name', { repository: 'https://github.com/x/y' }],
    ['a plain-http issuer', { issuer: 'http://token.example' }],
    ['another workflow folder', { workflow: 'scripts/release.yml' }],
    ['a trusted root that is not JSON', { trustedRoot: '{' }],
    ['a trusted root with no authority', { trustedRoot: '{"mediaType":"x","tlogs":[]}' }],
    ['a key that is not PEM', { managedKeys: ['ssh-ed25519 AAAA'] }],
    ['too many keys', { managedKeys: Array(9).fill(pem) }],
  ])('refuse %s', (_, patch) => {
    expect(() =>
      mergeSettings(DEFAULT_SETTINGS, { release: { ...DEFAULT_SETTINGS.release, ...patch } }),
    ).toThrow(expect.objectContaining({ info: expect.objectContaining({ code: 'invalid' }) }));
  });
  it('repair a bad stored release to the default', () => {
    const stored = {
      ...DEFAULT_SETTINGS,
      release: { ...DEFAULT_SETTINGS.release, tagPrefix: 'refs/heads/x' },
    };
    expect(settingsFromStorage(stored).release).toEqual(DEFAULT_SETTINGS.release);
  });
});
