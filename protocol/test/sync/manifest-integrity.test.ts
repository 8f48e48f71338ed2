/**
 * Conversation manifests and the integrity checks on them: a store (a sync
 * server, or the local database) that drops, reorders, duplicates, swaps, rolls
 * back or replays records is caught, and a well-formed store passes.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/bytes';
import {
  DecryptError,
  IntegrityError,
  type IntegrityFailure,
  MalformedError,
} from '../../src/errors';
import { sealJson } from '../../src/sealed';
import {
  checkFreshness,
  checkIndex,
  type ConversationManifest,
  type FetchedRecord,
  openManifest,
  recordDigest,
  sealManifest,
  verifyMembership,
} from '../../src/sync';

const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

function message(id: string, text: string): FetchedRecord {
  return {
    id,
    sealed: sealJson(
      key,
      { id, type: 'sotto/message', schemaVersion: 1 },
      { text, conversationId: 'c1' },
    ),
  };
}

const records = [message('m1', 'one'), message('m2', 'two'), message('m3', 'three')];

function manifest(version: number, msgs: FetchedRecord[], title = 'Title'): ConversationManifest {
  return {
    conversationId: 'c1',
    version,
    title,
    titleAt: version,
    titleBy: 'device-a',
    kind: 'chat',
    createdAt: 1,
    updatedAt: 10 + version,
    messages: msgs.map((r, i) => ({
      id: r.id,
      digest: recordDigest(r.sealed),
      createdAt: 100 + i,
    })),
  };
}

function failure(f: () => unknown): IntegrityFailure {
  try {
    f();
  } catch (e) {
    if (e instanceof IntegrityError) return e.kind;
    throw e;
  }
  throw new Error('no integrity error');
}

describe('manifest sealing', () => {
  it('round-trips and is bound to its conversation', () => {
    const m = manifest(3, records);
    const sealed = sealManifest(key, m);
    expect(openManifest(key, 'c1', sealed)).toEqual(m);
    expect(() => openManifest(key, 'c2', sealed)).toThrow(DecryptError);
    const flipped = sealed.slice();
    flipped[30]! ^= 1;
    expect(() => openManifest(key, 'c1', flipped)).toThrow(DecryptError);
  });

  it('refuses ill-formed manifests, even authenticated ones', () => {
    const m = manifest(1, records);
    const bad: unknown[] = [
      { ...m, version: 0 },
      { ...m, version: 1.5 },
      { ...m, messages: [...m.messages, m.messages[0]] },
      { ...m, messages: [{ ...m.messages[0], digest: 'zz' }] },
      { ...m, title: 'x'.repeat(5000) },
      { ...m, createdAt: -1 },
      { ...m, deleted: 'yes' },
      { ...m, conversationId: 'c2' },
    ];
    for (const b of bad) {
      const sealed = sealJson(key, { id: 'c1', type: 'sotto/sync/manifest', schemaVersion: 1 }, b);
      expect(() => openManifest(key, 'c1', sealed)).toThrow(MalformedError);
    }
  });
});

describe('membership and order', () => {
  const m = manifest(2, records);

  it('accepts the listed records in any server order and returns the manifest order', () => {
    const out = verifyMembership(m, [records[2]!, records[0]!, records[1]!]);
    expect(out.map((r) => r.id)).toEqual(['m1', 'm2', 'm3']);
  });

  it('detects a dropped message', () => {
    expect(failure(() => verifyMembership(m, [records[0]!, records[2]!]))).toBe('dropped');
  });

  it('detects a duplicated message', () => {
    expect(failure(() => verifyMembership(m, [...records, records[1]!]))).toBe('duplicated');
  });

  it('detects messages swapped between positions', () => {
    const swapped = [
      { id: 'm1', sealed: records[1]!.sealed },
      { id: 'm2', sealed: records[0]!.sealed },
      records[2]!,
    ];
    expect(failure(() => verifyMembership(m, swapped))).toBe('reordered');
  });

  it('detects a replaced or injected message', () => {
    const replaced = [records[0]!, message('m2', 'two, edited'), records[2]!];
    expect(failure(() => verifyMembership(m, replaced))).toBe('tampered');
    expect(failure(() => verifyMembership(m, [...records, message('m4', 'injected')]))).toBe(
      'unexpected',
    );
  });
});

describe('freshness', () => {
  const v2 = manifest(2, records.slice(0, 2));
  const v3 = manifest(3, records);
  const sealed2 = sealManifest(key, v2);
  const sealed3 = sealManifest(key, v3);

  it('moves forward and remembers what it accepted', () => {
    const r2 = checkFreshness(v2, sealed2, undefined);
    const r3 = checkFreshness(v3, sealed3, r2);
    expect(r3).toEqual({ version: 3, digest: recordDigest(sealed3) });
    expect(checkFreshness(v3, sealed3, r3)).toEqual(r3);
  });

  it('detects a rollback to an older version (a rename undone, a message removed)', () => {
    const r3 = checkFreshness(v3, sealed3, undefined);
    expect(failure(() => checkFreshness(v2, sealed2, r3))).toBe('rolled-back');
  });

  it('detects two different manifests with one version', () => {
    const r3 = checkFreshness(v3, sealed3, undefined);
    const other = manifest(3, records, 'Other title');
    expect(failure(() => checkFreshness(other, sealManifest(key, other), r3))).toBe('forked');
  });

  it('detects a conversation dropped from, or rolled back in, a listing', () => {
    const remembered = { c1: { version: 3, digest: 'x' }, c2: { version: 1, digest: 'y' } };
    expect(() =>
      checkIndex(
        remembered,
        new Map([
          ['c1', 3],
          ['c2', 4],
          ['c3', 1],
        ]),
      ),
    ).not.toThrow();
    expect(failure(() => checkIndex(remembered, new Map([['c1', 3]])))).toBe('dropped');
    expect(
      failure(() =>
        checkIndex(
          remembered,
          new Map([
            ['c1', 2],
            ['c2', 1],
          ]),
        ),
      ),
    ).toBe('rolled-back');
  });
});
