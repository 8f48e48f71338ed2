/**
 * Local history is authenticated, not only sealed (issue 14): times, counts,
 * order and membership come from the sealed ledger, and someone editing the
 * database (reordering, deleting or replacing a message, putting back an older
 * copy of a row, bringing back a deleted conversation, removing the index) is
 * told apart from an honest store. Real Dexie over fake-indexeddb.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceFailure } from '../src/services/failure';
import { type Harness, harness, prfBytes } from './support/services';

const opened: Harness[] = [];
afterEach(() => {
  for (const h of opened.splice(0)) h.db.close();
});

async function withChat(): Promise<Harness> {
  const h = harness();
  opened.push(h);
  await h.vault.create({
    prf: prfBytes(3),
    salt: new Uint8Array(32).fill(1),
    credentialId: new Uint8Array([9, 9]),
  });
  for (const id of ['a', 'b']) {
    await h.history.append({
      conversationId: id,
      conversation: { title: `title ${id}`, kind: 'chat' },
      messages: ['one', 'two', 'three'].map((content) => ({
        conversationId: id,
        role: 'user' as const,
        content: `${content} ${id}`,
        status: 'complete' as const,
      })),
    });
  }
  return h;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ServiceFailure) return e.info.code;
    throw e;
  }
  return 'ok';
}

const texts = async (h: Harness, id: string) =>
  (await h.history.get(id)).messages.map((m) => m.content);

describe('authenticated local history', () => {
  it('shows times and counts from the sealed ledger, whatever the clear columns say', async () => {
    const h = await withChat();
    const before = (await h.history.list()).find((c) => c.id === 'a')!;
    const row = (await h.db.conversations.get('a'))!;
    await h.db.conversations.put({ ...row, createdAt: 1, updatedAt: 2, messageCount: 99 });
    const after = (await h.history.list()).find((c) => c.id === 'a')!;
    expect(after).toEqual(before);
    expect(after.messageCount).toBe(3);
  });

  it('keeps the written order when rows are reordered by their clear times', async () => {
    const h = await withChat();
    const before = await h.history.get('a');
    const rows = await h.db.messages.where('conversationId').equals('a').toArray();
    await h.db.messages.put({ ...rows[0]!, createdAt: rows[2]!.createdAt + 100 });
    const after = await h.history.get('a');
    expect(after.messages.map((m) => m.content)).toEqual(['one a', 'two a', 'three a']);
    expect(after.messages.map((m) => m.createdAt)).toEqual(before.messages.map((m) => m.createdAt));
  });

  it('is told when a message is deleted or replaced', async () => {
    const h = await withChat();
    const rows = await h.db.messages.where('conversationId').equals('a').toArray();
    await h.db.messages.delete(rows[1]!.id);
    expect(await code(h.history.get('a'))).toBe('tampered');
    const other = await h.db.messages.where('conversationId').equals('b').toArray();
    await h.db.messages.put({ ...other[0]!, sealed: other[1]!.sealed });
    expect(await code(h.history.get('b'))).toBe('tampered');
  });

  it('is told when a rename is rolled back, or a row put back from an older copy', async () => {
    const h = await withChat();
    const old = (await h.db.conversations.get('a'))!;
    await h.history.rename('a', 'renamed');
    await h.db.conversations.put(old);
    expect(await code(h.history.get('a'))).toBe('tampered');
    expect((await h.history.list()).map((c) => c.id)).toEqual(['b']);
  });

  it('is told when a deleted conversation is brought back, or the index is removed', async () => {
    const h = await withChat();
    const conv = (await h.db.conversations.get('a'))!;
    const msgs = await h.db.messages.where('conversationId').equals('a').toArray();
    await h.history.delete('a');
    await h.db.conversations.put(conv);
    await h.db.messages.bulkPut(msgs);
    expect(await code(h.history.get('a'))).toBe('tampered');
    await h.db.settings.delete('history-index' as 'settings');
    expect(await code(h.history.get('b'))).toBe('tampered');
  });

  it('passes an honest store: appends, regenerate, renames, deletes and a settings reset', async () => {
    const h = await withChat();
    await h.history.append({
      conversationId: 'a',
      conversation: { title: 'ignored', kind: 'chat' },
      messages: [{ conversationId: 'a', role: 'assistant', content: 'answer', status: 'complete' }],
    });
    await h.history.append({
      conversationId: 'a',
      conversation: { title: 'ignored', kind: 'chat' },
      messages: [{ conversationId: 'a', role: 'assistant', content: 'again', status: 'complete' }],
      replaceLastAssistant: true,
    });
    await h.history.rename('a', 'new title');
    await h.settings.reset();
    expect(await texts(h, 'a')).toEqual(['one a', 'two a', 'three a', 'again']);
    expect((await h.history.list()).find((c) => c.id === 'a')).toMatchObject({
      title: 'new title',
      messageCount: 4,
    });
    await h.history.delete('b');
    expect((await h.history.list()).map((c) => c.id)).toEqual(['a']);
  });
});
