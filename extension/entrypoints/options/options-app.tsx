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
import {
  errorMessage,
  formatCount,
  importSummary,
  passkeyMessage,
} from '../../src/components/format';
import { i18n } from '../../src/i18n';
import { Shortcuts } from '../../src/components/shortcuts';
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
  if (e instanceof MessageError) return errorMessage(e.info);
  return e instanceof PasskeyError ? passkeyMessage(e) : i18n.t('options.somethingWrong');
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

  async function save(
    patch: Partial<Settings>,
    at: Area,
    done = i18n.t('options.saved'),
  ): Promise<void> {
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
      setNotice({ text: i18n.t('options.relayPermission'), error: true, at: 'relay' });
      return;
    }
    await save({ relayUrl }, 'relay', i18n.t('options.relaySaved'));
    setEvidence(null);
  }

  async function checkRelay(): Promise<void> {
    setEvidence(i18n.t('options.checking'));
    const r = await sendMessage('evidence/get', { fresh: true }).catch((e) => ({
      error: { message: errorText(e) },
    }));
    setEvidence('error' in r ? r.error.message : r);
  }

  async function exportHistory(): Promise<void> {
    try {
      const out = await sendMessage('history/export');
      download(out.fileName, fromBase64Url(out.data));
      setNotice({
        text: i18n.t('options.exported', out.conversations, [formatCount(out.conversations)]),
        at: 'data',
      });
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
        setNotice({ text: i18n.t('options.usePasskey'), at: 'data' });
        const out = await restoreFromBackup(bytes);
        setVault(out.status.state);
        setNotice({
          text: i18n.t('options.restored', {
            conversations: i18n.t('options.conversations', out.conversations, [
              formatCount(out.conversations),
            ]),
            messages: i18n.t('format.messages', out.messages, [formatCount(out.messages)]),
          }),
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
    setNotice({ text: i18n.t('options.locked'), at: 'lock' });
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
        text: i18n.t('options.erased'),
        at: 'data',
      });
    } catch (e) {
      setNotice({ text: errorText(e), error: true, at: 'data' });
    }
  }

  if (!settings) {
    return (
      <p class={`status${loadError ? ' error' : ''}`} role="status">
        {loadError ?? i18n.t('app.loading')}
      </p>
    );
  }

  return (
    <>
      <h1>{i18n.t('options.pageTitle')}</h1>
      <p class="lede">{i18n.t('options.lede')}</p>

      <section aria-labelledby="relay-h">
        <h2 id="relay-h">{i18n.t('options.relay')}</h2>
        <label for="relay-url">{i18n.t('options.relayUrl')}</label>
        <input
          id="relay-url"
          type="url"
          value={relayUrl}
          spellcheck={false}
          onInput={(e) => setRelayUrl((e.target as HTMLInputElement).value)}
        />
        <p class="hint">{i18n.t('options.relayHint')}</p>
        <div class="row">
          <button type="button" class="primary" id="save-relay" onClick={saveRelay}>
            {i18n.t('options.saveRelay')}
          </button>
          <button type="button" id="check-relay" onClick={checkRelay}>
            {i18n.t('options.checkEvidence')}
          </button>
        </div>
        <Feedback notice={notice} at="relay" />
        {evidence !== null && (
          <p class="status" id="evidence-result" role="status">
            {typeof evidence === 'string'
              ? evidence
              : i18n.t(evidence.development ? 'options.verifiedDev' : 'options.verified', {
                  platform: evidence.platform,
                  model: evidence.model.name,
                  sha: evidence.model.sha256.slice(0, 12),
                  key: String(evidence.keyId),
                })}
          </p>
        )}
      </section>

      <section aria-labelledby="dev-h">
        <h2 id="dev-h">{i18n.t('options.devMode')}</h2>
        <label class="toggle">
          <input
            id="development-mode"
            type="checkbox"
            checked={settings.developmentMode}
            onChange={(e) =>
              save({ developmentMode: (e.target as HTMLInputElement).checked }, 'dev')
            }
          />
          {i18n.t('options.acceptDev')}
        </label>
        <div class="warning" role="note">
          {i18n.t('options.devWarning')}
        </div>
        <DevEnclaves />
        <Feedback notice={notice} at="dev" />
      </section>

      <section aria-labelledby="releases-h">
        <h2 id="releases-h">{i18n.t('options.releases')}</h2>
        <p class="hint">{i18n.t('options.releasesHint')}</p>
        <label for="release-repository">{i18n.t('options.releaseRepository')}</label>
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
        <label for="release-tag">{i18n.t('options.releaseTag')}</label>
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
          {i18n.t('options.signedBy', {
            workflow: settings.release.workflow,
            issuer: settings.release.issuer,
          })}
        </p>
        <label for="release-root">{i18n.t('options.trustedRoot')}</label>
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
        <label for="release-keys">{i18n.t('options.releaseKeys')}</label>
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
        <h2 id="override-h">{i18n.t('options.override')}</h2>
        <label for="allowed-measurements">{i18n.t('options.measurements')}</label>
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
        <p class="hint">{i18n.t('options.overrideHint')}</p>
        <Feedback notice={notice} at="releases" />
      </section>

      <section aria-labelledby="gen-h">
        <h2 id="gen-h">{i18n.t('options.generation')}</h2>
        <label for="max-tokens">{i18n.t('options.maxTokens')}</label>
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
        <label for="temperature">{i18n.t('options.temperature')}</label>
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
        <h2 id="lock-h">{i18n.t('options.lock')}</h2>
        <label for="idle-lock">{i18n.t('options.idleLock')}</label>
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
            {i18n.t('options.lockNow')}
          </button>
          <span class="hint" id="vault-state">
            {vault === 'unlocked'
              ? i18n.t('options.stateUnlocked')
              : vault === 'locked'
                ? i18n.t('options.stateLocked')
                : i18n.t('options.stateNone')}
          </span>
        </div>
        <Feedback notice={notice} at="lock" />
      </section>

      <Shortcuts
        hint={i18n.t('options.shortcutsHint')}
        {...(import.meta.env.FIREFOX
          ? {}
          : { onChange: () => void browser.tabs.create({ url: 'chrome://extensions/shortcuts' }) })}
      />

      <SyncSettings
        vault={vault}
        onVaultChange={async () => setVault((await sendMessage('vault/status')).state)}
      />

      <section aria-labelledby="data-h">
        <h2 id="data-h">{i18n.t('options.history')}</h2>
        <p class="hint">{i18n.t('options.historyHint')}</p>
        <div class="row">
          <button type="button" id="export-history" onClick={exportHistory}>
            {i18n.t('options.export')}
          </button>
          <label class="hint" for="import-history" style={{ margin: 0 }}>
            {i18n.t('options.import')}
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
            {confirmErase ? i18n.t('options.eraseConfirm') : i18n.t('options.erase')}
          </button>
          {confirmErase && (
            <button type="button" onClick={() => setConfirmErase(false)}>
              {i18n.t('common.cancel')}
            </button>
          )}
        </div>
        <p class="hint">{i18n.t('options.eraseHint')}</p>
      </section>
    </>
  );
}
