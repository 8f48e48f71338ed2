/**
 * The lock badge (issue 5 item 5): verified platform, short measurement, model,
 * key age; a click opens the full evidence summary. When verification failed
 * it says so and the dialog lists every reason. It shows the state that holds
 * now (issue 11): relay unreachable, evidence refused, enclave down, or evidence
 * verified longer ago than the worker keeps it (stale) — never the last good
 * evidence while requests fail.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDateTime, i18n, label as say, type PlainMessageKey } from '../i18n';
import type { ErrorCode, ErrorInfo, EvidenceSummary } from '../messaging';
import { errorMessage, errorTitle, formatAge, platformLabel, shortHash } from './format';
import { Icon } from './icons';

export type EvidenceView = { summary: EvidenceSummary } | { error: ErrorInfo } | undefined;

/** The worker re-verifies at least this often (services/evidence.ts); older evidence is stale. */
export const STALE_AFTER_MS = 60 * 60 * 1000;

type BadgeState = 'verified' | 'dev' | 'stale' | 'refused' | 'unreachable' | 'down' | 'unavailable';

const ERROR_STATES: Partial<Record<ErrorCode, { state: BadgeState; label: PlainMessageKey }>> = {
  'evidence-refused': { state: 'refused', label: 'badge.refused' },
  'dev-refused': { state: 'refused', label: 'badge.devRefused' },
  'dev-key-changed': { state: 'refused', label: 'badge.devKeyChanged' },
  'relay-unreachable': { state: 'unreachable', label: 'badge.unreachable' },
  'enclave-unavailable': { state: 'down', label: 'badge.down' },
};

/** An ISO time from the evidence, in the UI's language (as given when it does not parse). */
function when(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatDateTime(ms, { dateStyle: 'medium', timeStyle: 'medium' });
}

function Row({
  label,
  value,
  mono,
  testId,
}: {
  label: string;
  value: string;
  mono?: boolean;
  testId?: string;
}) {
  return (
    <>
      <dt>{label}</dt>
      <dd class={mono ? 'mono' : undefined} data-testid={testId}>
        {value}
      </dd>
    </>
  );
}

/** How the request key is agreed: post-quantum with X-Wing, classical with X25519 alone. */
function kemLabel(kem: EvidenceSummary['kem']): string {
  return kem === 'X-Wing' ? i18n.t('evidence.kemXWing') : i18n.t('evidence.kemX25519');
}

/** The release rows: what was signed, by whom, and where it is logged. */
function ReleaseRows({ summary }: { summary: EvidenceSummary }) {
  const r = summary.release;
  if (!r) return <Row label={i18n.t('evidence.release')} value={summary.releaseId} />;
  return (
    <>
      <Row label={i18n.t('evidence.release')} value={r.version} />
      <Row label={i18n.t('evidence.commit')} value={r.commit} mono />
      {r.repository && <Row label={i18n.t('evidence.repository')} value={r.repository} />}
      {r.tag && <Row label={i18n.t('evidence.tag')} value={r.tag} />}
      <dt>{i18n.t('evidence.log')}</dt>
      <dd data-testid="release-log">
        {r.logIndex === undefined
          ? i18n.t('evidence.notLogged')
          : r.integratedTime
            ? i18n.t('evidence.loggedAt', { index: String(r.logIndex), time: r.integratedTime })
            : i18n.t('evidence.logged', { index: String(r.logIndex) })}
      </dd>
    </>
  );
}

function EvidenceDialog({
  view,
  onClose,
}: {
  view: NonNullable<EvidenceView>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      data-testid="evidence-dialog"
      aria-labelledby="evidence-title"
      onClose={onClose}
    >
      {'summary' in view ? (
        <>
          <h2 id="evidence-title">
            {view.summary.development
              ? i18n.t('evidence.titleDev')
              : i18n.t('evidence.titleVerified')}
          </h2>
          {view.summary.development && <p class="banner-dev">{i18n.t('evidence.devBanner')}</p>}
          {view.summary.override && (
            <p class="banner-dev" data-testid="override-notice">
              {i18n.t('evidence.overrideBanner')}
            </p>
          )}
          <dl class="facts">
            <Row label={i18n.t('evidence.platform')} value={platformLabel(view.summary.platform)} />
            <Row label={i18n.t('evidence.measurement')} value={view.summary.measurement} mono />
            <Row label={i18n.t('evidence.model')} value={view.summary.model.name} />
            <Row label={i18n.t('evidence.modelSha')} value={view.summary.model.sha256} mono />
            <ReleaseRows summary={view.summary} />
            <Row label={i18n.t('evidence.keyId')} value={String(view.summary.keyId)} />
            <Row
              label={i18n.t('evidence.encryption')}
              value={kemLabel(view.summary.kem)}
              testId="evidence-kem"
            />
            <Row
              label={i18n.t('evidence.keyMade')}
              value={i18n.t('evidence.keyMadeValue', {
                time: when(view.summary.keyCreatedAt),
                age: formatAge(view.summary.keyAgeSeconds),
              })}
            />
            <Row label={i18n.t('evidence.verified')} value={when(view.summary.verifiedAt)} />
          </dl>
        </>
      ) : (
        <>
          <h2 id="evidence-title">{errorTitle(view.error)}</h2>
          <p>{errorMessage(view.error)}</p>
          {view.error.reasons && (
            <ul class="reasons" data-testid="evidence-reasons">
              {view.error.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
        </>
      )}
      <form method="dialog">
        <button type="submit" class="btn" data-testid="evidence-close" autofocus>
          {i18n.t('common.close')}
        </button>
      </form>
    </dialog>
  );
}

/** `now` (ms) decides staleness; the panel passes nothing and gets the clock. */
export function LockBadge({ view, now }: { view: EvidenceView; now?: number }) {
  const [open, setOpen] = useState(false);
  if (!view) {
    return (
      <span class="badge badge-pending" data-testid="lock-badge" data-state="pending">
        {i18n.t('badge.checking')}
      </span>
    );
  }
  const s = 'summary' in view ? view.summary : undefined;
  const code = 'error' in view ? view.error.code : undefined;
  const failed = code
    ? (ERROR_STATES[code] ?? { state: 'unavailable', label: 'badge.notChecked' })
    : undefined;
  const stale = s !== undefined && (now ?? Date.now()) - Date.parse(s.verifiedAt) > STALE_AFTER_MS;
  const state: BadgeState = s
    ? stale
      ? 'stale'
      : s.development
        ? 'dev'
        : 'verified'
    : failed!.state;
  const label = s
    ? [
        ...(stale ? [i18n.t('badge.stale')] : []),
        platformLabel(s.platform),
        shortHash(s.measurement, 6, 0),
        s.model.name,
        i18n.t('badge.key', { age: formatAge(s.keyAgeSeconds) }),
      ].join(' · ')
    : say(failed!.label);
  const look =
    state === 'verified'
      ? 'badge-ok'
      : state === 'dev'
        ? 'badge-dev'
        : state === 'refused'
          ? 'badge-bad'
          : 'badge-pending';
  return (
    <>
      <button
        type="button"
        class={`badge ${look}`}
        data-testid="lock-badge"
        data-state={state}
        data-code={code}
        data-platform={s?.platform}
        data-model-sha256={s?.model.sha256}
        aria-label={i18n.t('badge.aria', { label })}
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        <Icon name={s && !stale ? 'lock' : 'warn'} /> {label}
      </button>
      {open && <EvidenceDialog view={view} onClose={() => setOpen(false)} />}
    </>
  );
}
