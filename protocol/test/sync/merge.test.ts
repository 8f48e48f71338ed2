/** Merge rules: messages append-only, renames and deletes last-writer-wins, nothing written lost. */
import { describe, expect, it } from 'vitest';
import { type ConversationManifest, type ManifestEntry, mergeManifests } from '../../src/sync';

const entry = (id: string, createdAt: number): ManifestEntry => ({
  id,
  digest: id.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'),
  createdAt,
});

function base(over: Partial<ConversationManifest> = {}): ConversationManifest {
  return {
    conversationId: 'c1',
    version: 4,
    title: 'Start',
    titleAt: 10,
    titleBy: 'a',
    kind: 'chat',
    createdAt: 1,
    updatedAt: 20,
    messages: [entry('m1', 11), entry('m2', 12)],
    ...over,
  };
}

describe('mergeManifests', () => {
  it('keeps every message from both sides, the server order first', () => {
    const remote = base({ version: 5, messages: [...base().messages, entry('r3', 30)] });
    const local = base({
      version: 5,
      messages: [...base().messages, entry('l4', 25), entry('l3', 24)],
    });
    const { merged, orphans } = mergeManifests(local, remote);
    expect(merged.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'r3', 'l3', 'l4']);
    expect(merged.version).toBe(6);
    expect(orphans).toEqual([]);
  });

  it('takes the later rename, whichever side made it, with the device as a tie-break', () => {
    const local = base({ title: 'Local', titleAt: 50, titleBy: 'b' });
    const remote = base({ title: 'Remote', titleAt: 40, titleBy: 'a', version: 7 });
    expect(mergeManifests(local, remote).merged.title).toBe('Local');
    expect(mergeManifests(remote, local).merged.title).toBe('Local');
    const tie = base({ title: 'Tie', titleAt: 50, titleBy: 'c' });
    expect(mergeManifests(local, tie).merged.title).toBe('Tie');
    expect(mergeManifests(local, remote).merged.version).toBe(8);
  });

  it('hands back the losing title when both sides renamed since the agreed version', () => {
    const agreed = base();
    const local = base({ title: 'Local', titleAt: 50, titleBy: 'b' });
    const remote = base({ title: 'Remote', titleAt: 40, titleBy: 'a', version: 7 });
    expect(mergeManifests(local, remote, agreed)).toMatchObject({
      merged: { title: 'Local' },
      lostTitle: 'Remote',
    });
    expect(mergeManifests(remote, local, agreed)).toMatchObject({
      merged: { title: 'Local' },
      lostTitle: 'Remote',
    });
    // one side kept the agreed title: nothing was lost
    expect(mergeManifests(agreed, remote, agreed).lostTitle).toBeUndefined();
    expect(mergeManifests(local, agreed, agreed).lostTitle).toBeUndefined();
    // both picked the same title, or the agreed version is not known
    expect(mergeManifests(local, { ...remote, title: 'Local' }, agreed).lostTitle).toBeUndefined();
    expect(mergeManifests(local, remote).lostTitle).toBeUndefined();
  });

  it('keeps a tombstone and hands back messages its deleter never saw', () => {
    const remote = base({ version: 5, deleted: { at: 60, by: 'a' } });
    const local = base({ messages: [...base().messages, entry('l3', 55)] });
    const { merged, orphans } = mergeManifests(local, remote);
    expect(merged.deleted).toEqual({ at: 60, by: 'a' });
    expect(orphans.map((m) => m.id)).toEqual(['l3']);
    expect(merged.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    // the same from the other side
    const back = mergeManifests(remote, local);
    expect(back.merged.deleted).toEqual({ at: 60, by: 'a' });
    expect(back.orphans.map((m) => m.id)).toEqual(['l3']);
  });

  it('lets a rename made after a deletion win (the later action)', () => {
    const remote = base({ version: 5, deleted: { at: 60, by: 'a' } });
    const local = base({ title: 'Renamed later', titleAt: 70, titleBy: 'b' });
    const { merged } = mergeManifests(local, remote);
    expect(merged.deleted).toBeUndefined();
    expect(merged.title).toBe('Renamed later');
  });

  it('merges two deletions into the later one', () => {
    const a = base({ deleted: { at: 60, by: 'a' } });
    const b = base({ deleted: { at: 65, by: 'b' } });
    expect(mergeManifests(a, b).merged.deleted).toEqual({ at: 65, by: 'b' });
    expect(mergeManifests(b, a).merged.deleted).toEqual({ at: 65, by: 'b' });
    expect(mergeManifests(a, b).orphans).toEqual([]);
  });
});
