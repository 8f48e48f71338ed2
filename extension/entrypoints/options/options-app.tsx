/**
 * The options page: relay URL (asks for its host permission), development mode
 * (with a warning, and the development enclaves chosen per relay), generation settings, idle-lock time, export/import of the
 * encrypted history, lock now, and erase everything (two-step confirm). Every
 * change goes through the worker (messaging.ts); nothing here touches storage.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { DevEnclaves } from '../../src/components/dev-enclaves';
import {
  type EvidenceSummary,
  fromBase64Url,
  MessageError,
  type Settings,
  sendMessage,
  toBase64Url,
  type VaultState,
} from '../../src/messaging';
import { importSummary } from '../../src/components/format';
import { SyncSettings } from '../../src/components/sync-settings';
import { PasskeyError, restoreFromBackup } from '../../src/passkey';

/** The section whose control caused a notice: the notice shows there, beside the control. */
type Area = 'relay' | 'dev' | 'releases' | 'generation' | 'lock' | 'data';
type Notice = { text: string; error?: boolean; at: Area } | null;

/** The feedback line of one section: empty unless the last notice came from there. */
function Feedback({ notice, at }: { notice: Notice; at: Area }) {
  const mine = notice?.at === at ? notice : null;
  const ref = useRef<HTMLParagraphElement>(null);
  // On screen where the user is looking, once per new notice.
  useEffect(() => {
    if (mine) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [mine]);
  return (
    <p
      ref={ref}
      class={`status${mine?.error ? ' error' : ''}`}
      role={mine?.error ? 'alert' : 'status'}
      id={`notice-${at}`}
      data-testid={`notice-${at}`}
    >
      {mine?.text ?? ''}
    </p>
  );
}

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
  const [loadError, setLoadError] = useState<string>();
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
        setLoadError(errorText(e));
      }
    })();
  }, []);

  async function save(patch: Partial<Settings>, at: Area, done = 'Saved.'): Promise<void> {
    try {
      const next = await sendMessage('settings/set', patch);
      setSettings(next);
      setRelayUrl(next.relayUrl);
      setNotice({ text: done, at });
    } catch (e) {
      setNotice({ text: errorText(e), error: true, at });
    }
  }

  async function saveRelay(): Promise<void> {
    if (!(await allowOrigin(relayUrl))) {
      setNotice({ text: 'Sotto needs permission to reach that relay.', error: true, at: 'relay' });
      return;
    }
    await save({ relayUrl }, 'relay', 'Relay saved.');
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
      setNotice({ text: `Exported ${out.conversations} conversations (encrypted).`, at: 'data' });
    } catch (e) {
      setNotice({ text: errorText(e), error: true, at: 'data' });
    }
  }

  async function importHistory(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (vault === 'no-vault') {
        // No vault here yet: the backup's own passkey restores its vault key.
        setNotice({ text: 'Use the passkey this backup was made with…', at: 'data' });
        const out = await restoreFromBackup(bytes);
        setVault(out.status.state);
        setNotice({
          text: `Restored ${out.conversations} conversations, ${out.messages} messages.`,
          at: 'data',
        });
        return;
      }
      const out = await sendMessage('history/import', { data: toBase64Url(bytes) });
      setNotice({ text: importSummary(out), at: 'data' });
    } catch (e) {
      setNotice({ text: errorText(e), error: true, at: 'data' });
    }
  }

  async function lockNow(): Promise<void> {
    setVault((await sendMessage('vault/lock')).state);
    setNotice({ text: 'Locked.', at: 'lock' });
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
      setNotice({
        text: 'Everything was erased. Open the side panel to set Sotto up again.',
        at: 'data',
      });
    } catch (e) {
      setNotice({ text: errorText(e), error: true, at: 'data' });
    }
  }

  if (!settings) {
    return (
      <p class={`status${loadError ? ' error' : ''}`} role="status">
        {loadError ?? 'Loading…'}
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
        <Feedback notice={notice} at="relay" />
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
            onChange={(e) =>
              save({ developmentMode: (e.target as HTMLInputElement).checked }, 'dev')
            }
          />
          Accept development evidence
        </label>
        <div class="warning" role="note">
          Development evidence comes from an enclave running without TEE hardware: nothing proves
          who can read your prompts. Turn this on only for a relay and enclave you run yourself.
          Every answer will carry a development banner.
        </div>
        <DevEnclaves />
        <Feedback notice={notice} at="dev" />
      </section>

      <section aria-labelledby="releases-h">
        <h2 id="releases-h">Trusted releases</h2>
        <p class="hint">
          Sotto accepts an enclave only when it runs a release signed by the release workflow below
          and logged in Sigstore&apos;s transparency log, with the measurement and model that
          release lists. Nothing to configure for the project&apos;s own releases.
        </p>
        <label for="release-repository">Release repository (owner/name)</label>
        <input
          id="release-repository"
          data-testid="release-repository"
          value={settings.release.repository}
          onChange={(e) =>
            save(
              {
                release: { ...settings.release, repository: (e.target as HTMLInputElement).value },
              },
              'releases',
            )
          }
        />
        <label for="release-tag">Release tag prefix</label>
        <input
          id="release-tag"
          data-testid="release-tag"
          value={settings.release.tagPrefix}
          onChange={(e) =>
            save(
              {
                release: { ...settings.release, tagPrefix: (e.target as HTMLInputElement).value },
              },
              'releases',
            )
          }
        />
        <p class="hint">
          Signed by {settings.release.workflow} through {settings.release.issuer}.
        </p>
        <label for="release-root">
          Custom Sigstore trusted root (trusted_root.json; empty: Sigstore&apos;s public-good root)
        </label>
        <textarea
          id="release-root"
          data-testid="release-root"
          rows={3}
          spellcheck={false}
          value={settings.release.trustedRoot}
          onChange={(e) =>
            save(
              {
                release: {
                  ...settings.release,
                  trustedRoot: (e.target as HTMLTextAreaElement).value,
                },
              },
              'releases',
            )
          }
        />
        <label for="release-keys">Release signing keys for local releases (PEM public keys)</label>
        <textarea
          id="release-keys"
          data-testid="release-keys"
          rows={3}
          spellcheck={false}
          value={settings.release.managedKeys.join('')}
          onChange={(e) =>
            save(
              {
                release: {
                  ...settings.release,
                  managedKeys: ((e.target as HTMLTextAreaElement).value.match(
                    /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g,
                  ) ?? []) as string[],
                },
              },
              'releases',
            )
          }
        />
      </section>

      <section aria-labelledby="override-h">
        <h2 id="override-h">Expert override: measurements</h2>
        <label for="allowed-measurements">
          Launch measurements to accept instead of the verified release (one per line, 96 hex
          digits)
        </label>
        <textarea
          id="allowed-measurements"
          data-testid="allowed-measurements"
          rows={3}
          spellcheck={false}
          value={settings.allowedMeasurements.join('\n')}
          onChange={(e) =>
            save(
              {
                allowedMeasurements: (e.target as HTMLTextAreaElement).value
                  .split(/\s+/)
                  .filter(Boolean),
              },
              'releases',
            )
          }
        />
        <p class="hint">
          For experts only. While any measurement is listed here, your list, not a signed and logged
          release, decides which enclave code is accepted, and every answer says so. Leave it empty
          to rely on verified releases.
        </p>
        <Feedback notice={notice} at="releases" />
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
            save(
              {
                generation: {
                  ...settings.generation,
                  maxTokens: Number((e.target as HTMLInputElement).value),
                },
              },
              'generation',
            )
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
            save(
              {
                generation: {
                  ...settings.generation,
                  temperature: Number((e.target as HTMLInputElement).value),
                },
              },
              'generation',
            )
          }
        />
        <Feedback notice={notice} at="generation" />
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
          onChange={(e) =>
            save({ idleLockMinutes: Number((e.target as HTMLInputElement).value) }, 'lock')
          }
        />
        <div class="row">
          <button type="button" id="lock-now" onClick={lockNow} disabled={vault !== 'unlocked'}>
            Lock now
          </button>
          <span class="hint" id="vault-state">
            {vault === 'unlocked' ? 'Unlocked' : vault === 'locked' ? 'Locked' : 'Not set up'}
          </span>
        </div>
        <Feedback notice={notice} at="lock" />
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
        <Feedback notice={notice} at="data" />
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
    </>
  );
}
