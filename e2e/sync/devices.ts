/**
 * Test devices for the sync tests: each holds a vault key, a replica of the
 * account on the real sync service, and its conversations as the extension
 * keeps them (a manifest and sealed messages). Messages are sealed exactly as
 * the extension seals history (`sotto/message`, schema 1).
 */
import {
  type ConversationCopy,
  type ConversationManifest,
  deriveAccountKey,
  openJson,
  recordDigest,
  type ReplicaState,
  sealJson,
  SyncClient,
  SyncReplica,
} from '@sotto/protocol';

export const MESSAGE_META = (id: string) => ({ id, type: 'sotto/message', schemaVersion: 1 });

export class TestDevice {
  readonly name: string;
  vaultKey: Uint8Array;
  replica: SyncReplica;
  readonly local = new Map<string, ConversationCopy>();
  #url: string;
  #now: number;

  constructor(name: string, url: string, vaultKey: Uint8Array, state?: ReplicaState) {
    this.name = name;
    this.vaultKey = vaultKey;
    this.#url = url;
    this.#now = 1_000;
    this.replica = this.#replica(state);
  }

  #replica(state?: ReplicaState): SyncReplica {
    const client = new SyncClient({ baseUrl: this.#url, account: deriveAccountKey(this.vaultKey) });
    return new SyncReplica(client, () => this.vaultKey, state);
  }

  /** Points the device at a restarted server, keeping what it remembers. */
  reconnect(url: string): void {
    this.#url = url;
    this.replica = this.#replica(this.replica.state());
  }

  get accountId(): string {
    return deriveAccountKey(this.vaultKey).accountId;
  }

  tick(): number {
    return ++this.#now;
  }

  /** A new conversation with messages, stored locally (not pushed). */
  create(id: string, title: string, texts: string[]): ConversationCopy {
    const t = this.tick();
    const copy: ConversationCopy = {
      manifest: {
        conversationId: id,
        version: 1,
        title,
        titleAt: t,
        titleBy: this.name,
        kind: 'chat',
        createdAt: t,
        updatedAt: t,
        messages: [],
      },
      messages: new Map(),
    };
    this.local.set(id, copy);
    for (const text of texts) this.append(id, text);
    return copy;
  }

  append(id: string, text: string): void {
    const copy = this.local.get(id)!;
    const mid = `${this.name}-${this.tick()}`;
    const sealed = sealJson(this.vaultKey, MESSAGE_META(mid), {
      conversationId: id,
      role: 'user',
      content: text,
    });
    copy.messages.set(mid, sealed);
    copy.manifest = {
      ...copy.manifest,
      version: copy.manifest.version + 1,
      updatedAt: this.tick(),
      messages: [
        ...copy.manifest.messages,
        { id: mid, digest: recordDigest(sealed), createdAt: this.tick() },
      ],
    };
  }

  rename(id: string, title: string): void {
    const copy = this.local.get(id)!;
    copy.manifest = {
      ...copy.manifest,
      version: copy.manifest.version + 1,
      title,
      titleAt: this.tick(),
      titleBy: this.name,
    };
  }

  remove(id: string): void {
    const copy = this.local.get(id)!;
    copy.manifest = {
      ...copy.manifest,
      version: copy.manifest.version + 1,
      deleted: { at: this.tick(), by: this.name },
    };
  }

  async push(id: string): Promise<ConversationManifest> {
    const copy = this.local.get(id)!;
    const { manifest, orphans } = await this.replica.push(copy);
    copy.manifest = manifest;
    if (orphans.length > 0) {
      // Nothing written is lost: the messages a deletion never saw go to a copy.
      const cid = `${id}-copy`;
      const kept = this.create(cid, `${copy.manifest.title} (copy)`, []);
      for (const o of orphans) {
        const plain = openJson(this.vaultKey, MESSAGE_META(o.id), copy.messages.get(o.id)!) as {
          content: string;
        };
        this.append(cid, plain.content);
      }
      await this.push(kept.manifest.conversationId);
    }
    return manifest;
  }

  /** Pulls and adopts the server's copy of every conversation. */
  async pull(full = false): Promise<void> {
    for (const c of await this.replica.pull({ full })) {
      // The pull hands over only the bytes it brought: the rest are this device's own copy.
      const mine = this.local.get(c.manifest.conversationId);
      for (const e of c.manifest.deleted ? [] : c.manifest.messages) {
        if (c.messages.has(e.id)) continue;
        const held = mine?.messages.get(e.id);
        c.messages.set(
          e.id,
          held && recordDigest(held) === e.digest
            ? held
            : await this.replica.fetchMessage(c.manifest.conversationId, e),
        );
      }
      this.local.set(c.manifest.conversationId, c);
    }
  }

  /** The texts of a conversation in order, opened with this device's vault key. */
  texts(id: string): string[] {
    const copy = this.local.get(id)!;
    return copy.manifest.messages.map(
      (m) =>
        (
          openJson(this.vaultKey, MESSAGE_META(m.id), copy.messages.get(m.id)!) as {
            content: string;
          }
        ).content,
    );
  }
}
