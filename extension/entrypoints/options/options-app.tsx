/**
 * The options page: relay URL (asks for its host permission), development mode
 * (with a warning), generation settings, idle-lock time, export/import of the
 * encrypted history, lock now, and erase everything (two-step confirm). Every
 * change goes through the worker (messaging.ts); nothing here touches storage.
 */
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import {
  type EvidenceSummary,
  fromBase64Url,
  MessageError,
  type Settings,
  sendMessage,
  toBase64Url,
  type VaultState,
} from '../../src/messaging';
import { SyncSettings } from '../../src/components/sync-settings';
import { PasskeyError, restoreFromBackup } from '../../src/passkey';

type Notice = { text: string; error?: boolean } | null;

function errorText(e: unknown): string {
  return e instanceof MessageError || e instanceof PasskeyError
    ? e.message
    : 'Something went wrong. Try again.';
}

/** Asks for access to a relay origin not in the manifest (must run inside the click). */
async function allowOrigin(relayUrl: string): Promise<boolean> {
  let origin: string;
  try {
    origin = new URL(relayUrl).origin;
  } catch {
    return true; // the worker reports the invalid URL
  }
  const origins = [`${origin}/*`];
  if (await browser.permissions.contains({ origins })) return true;
  return browser.permissions.request({ origins });
}

function download(fileName: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(
    new Blob([bytes as BlobPart], { type: 'application/octet-stream' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function OptionsApp() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [relayUrl, setRelayUrl] = useState('');
  const [vault, setVault] = useState<VaultState | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [evidence, setEvidence] = useState<EvidenceSummary | string | null>(null);
  const [confirmErase, setConfirmErase] = useState(false);

  useEffect(() => {
    void (async () => {
      try {
        const s = await sendMessage('settings/get');
        setSettings(s);
        setRelayUrl(s.relayUrl);
        setVault((await sendMessage('vault/status')).state);
      } catch (e) {
        setNotice({ text: errorText(e), error: true });
      }
    })();
  }, []);

  async function save(patch: Partial<Settings>, done = 'Saved.'): Promise<void> {
    try {
      const next = await sendMessage('settings/set', patch);
      setSettings(next);
      setRelayUrl(next.relayUrl);
      setNotice({ text: done });
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  }

  async function saveRelay(): Promise<void> {
    if (!(await allowOrigin(relayUrl))) {
      setNotice({ text: 'Sotto needs permission to reach that relay.', error: true });
      return;
    }
    await save({ relayUrl }, 'Relay saved.');
    setEvidence(null);
  }

  async function checkRelay(): Promise<void> {
    setEvidence('Checking…');
    const r = await sendMessage('evidence/get', { fresh: true }).catch((e) => ({
      error: { message: errorText(e) },
    }));
    setEvidence('error' in r ? r.error.message : r);
  }

  async function exportHistory(): Promise<void> {
    try {
      const out = await sendMessage('history/export');
      download(out.fileName, fromBase64Url(out.data));
      setNotice({ text: `Exported ${out.conversations} conversations (encrypted).` });
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  }

  async function importHistory(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (vault === 'no-vault') {
        // No vault here yet: the backup's own passkey restores its vault key.
        setNotice({ text: 'Use the passkey this backup was made with…' });
        const out = await restoreFromBackup(bytes);
        setVault(out.status.state);
        setNotice({
          text: `Restored ${out.conversations} conversations, ${out.messages} messages.`,
        });
        return;
      }
      const out = await sendMessage('history/import', { data: toBase64Url(bytes) });
      setNotice({ text: `Imported ${out.conversations} conversations, ${out.messages} messages.` });
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  }

  async function lockNow(): Promise<void> {
    setVault((await sendMessage('vault/lock')).state);
    setNotice({ text: 'Locked.' });
  }

  async function eraseAll(): Promise<void> {
    if (!confirmErase) {
      setConfirmErase(true);
      return;
    }
    setConfirmErase(false);
    try {
      const s = await sendMessage('history/erase-all');
      setVault(s.state);
      const fresh = await sendMessage('settings/get');
      setSettings(fresh);
      setRelayUrl(fresh.relayUrl);
      setNotice({ text: 'Everything was erased. Open the side panel to set Sotto up again.' });
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  }

  if (!settings) {
    return (
      <p class={`status${notice?.error ? ' error' : ''}`} role="status">
        {notice?.text ?? 'Loading…'}
      </p>
    );
  }

  return (
    <>
      <h1>Sotto options</h1>
      <p class="lede">
        Private AI for any page. Everything you store stays encrypted on this device.
      </p>

      <section aria-labelledby="relay-h">
        <h2 id="relay-h">Relay</h2>
        <label for="relay-url">Relay URL</label>
        <input
          id="relay-url"
          type="url"
          value={relayUrl}
          spellcheck={false}
          onInput={(e) => setRelayUrl((e.target as HTMLInputElement).value)}
        />
        <p class="hint">
          The relay only ever sees ciphertext. Sotto checks the enclave’s evidence itself before
          sending anything.
        </p>
        <div class="row">
          <button type="button" class="primary" id="save-relay" onClick={saveRelay}>
            Save relay
          </button>
          <button type="button" id="check-relay" onClick={checkRelay}>
            Check evidence
          </button>
        </div>
        {evidence !== null && (
          <p class="status" id="evidence-result" role="status">
            {typeof evidence === 'string'
              ? evidence
              : `Verified: ${evidence.platform}${evidence.development ? ' (development, no hardware proof)' : ''}, model ${evidence.model.name} (${evidence.model.sha256.slice(0, 12)}…), key ${evidence.keyId}.`}
          </p>
        )}
      </section>

      <section aria-labelledby="dev-h">
        <h2 id="dev-h">Development mode</h2>
        <label class="toggle">
          <input
            id="development-mode"
            type="checkbox"
            checked={settings.developmentMode}
            onChange={(e) => save({ developmentMode: (e.target as HTMLInputElement).checked })}
          />
          Accept development evidence
        </label>
        <div class="warning" role="note">
          Development evidence comes from an enclave running without TEE hardware: nothing proves
          who can read your prompts. Turn this on only for a relay and enclave you run yourself.
          Every answer will carry a development banner.
        </div>
      </section>

      <section aria-labelledby="releases-h">
        <h2 id="releases-h">Trusted releases</h2>
        <label for="allowed-measurements">
          Release measurements to accept from real TEE hardware (one per line, 96 hex digits)
        </label>
        <textarea
          id="allowed-measurements"
          data-testid="allowed-measurements"
          rows={3}
          spellcheck={false}
          value={settings.allowedMeasurements.join('\n')}
          onChange={(e) =>
            save({
              allowedMeasurements: (e.target as HTMLTextAreaElement).value
                .split(/\s+/)
                .filter(Boolean),
            })
          }
        />
        <p class="hint">
          A real enclave proves which code it runs by its measurement. With no measurement listed
          here, Sotto refuses real-hardware evidence rather than trust unknown code.
        </p>
      </section>

      <section aria-labelledby="gen-h">
        <h2 id="gen-h">Generation</h2>
        <label for="max-tokens">Max tokens per answer</label>
        <input
          id="max-tokens"
          type="number"
          min={1}
          max={8192}
          value={settings.generation.maxTokens}
          onChange={(e) =>
            save({
              generation: {
                ...settings.generation,
                maxTokens: Number((e.target as HTMLInputElement).value),
              },
            })
          }
        />
        <label for="temperature">Temperature</label>
        <input
          id="temperature"
          type="number"
          min={0}
          max={2}
          step={0.1}
          value={settings.generation.temperature}
          onChange={(e) =>
            save({
              generation: {
                ...settings.generation,
                temperature: Number((e.target as HTMLInputElement).value),
              },
            })
          }
        />
      </section>

      <section aria-labelledby="lock-h">
        <h2 id="lock-h">Lock</h2>
        <label for="idle-lock">
          Lock after this many idle minutes (0 = when the browser closes)
        </label>
        <input
          id="idle-lock"
          type="number"
          min={0}
          max={1440}
          value={settings.idleLockMinutes}
          onChange={(e) => save({ idleLockMinutes: Number((e.target as HTMLInputElement).value) })}
        />
        <div class="row">
          <button type="button" id="lock-now" onClick={lockNow} disabled={vault !== 'unlocked'}>
            Lock now
          </button>
          <span class="hint" id="vault-state">
            {vault === 'unlocked' ? 'Unlocked' : vault === 'locked' ? 'Locked' : 'Not set up'}
          </span>
        </div>
      </section>

      <SyncSettings
        vault={vault}
        onVaultChange={async () => setVault((await sendMessage('vault/status')).state)}
      />

      <section aria-labelledby="data-h">
        <h2 id="data-h">Your history</h2>
        <p class="hint">
          Backups are encrypted with your vault key. Import one into this vault, or restore it on a
          new device with the passkey it was made with.
        </p>
        <div class="row">
          <button type="button" id="export-history" onClick={exportHistory}>
            Export encrypted backup
          </button>
          <label class="hint" for="import-history" style={{ margin: 0 }}>
            Import backup
          </label>
          <input
            id="import-history"
            type="file"
            accept=".sotto-backup,application/octet-stream"
            onChange={(e) => importHistory((e.target as HTMLInputElement).files?.[0])}
          />
        </div>
        <div class="row">
          <button
            type="button"
            id="erase-all"
            class={`danger${confirmErase ? ' confirm' : ''}`}
            onClick={eraseAll}
          >
            {confirmErase ? 'Click again to erase everything' : 'Erase everything'}
          </button>
          {confirmErase && (
            <button type="button" onClick={() => setConfirmErase(false)}>
              Cancel
            </button>
          )}
        </div>
        <p class="hint">
          Erasing deletes every conversation and the vault itself. It cannot be undone.
        </p>
      </section>

      <p class={`status${notice?.error ? ' error' : ''}`} role="status" id="notice">
        {notice?.text ?? ''}
      </p>
    </>
  );
}
