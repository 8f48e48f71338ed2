/**
 * The lock badge (issue 5 item 5): verified platform, short measurement, model,
 * key age; a click opens the full evidence summary. When verification failed
 * it says so and the dialog lists every reason. It shows the state that holds
 * now (issue 11): relay unreachable, evidence refused, enclave down, or evidence
 * verified longer ago than the worker keeps it (stale) — never the last good
 * evidence while requests fail.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ErrorCode, ErrorInfo, EvidenceSummary } from '../messaging';
import { errorTitle, formatAge, platformLabel, shortHash } from './format';
import { Icon } from './icons';

export type EvidenceView = { summary: EvidenceSummary } | { error: ErrorInfo } | undefined;

/** The worker re-verifies at least this often (services/evidence.ts); older evidence is stale. */
export const STALE_AFTER_MS = 60 * 60 * 1000;

type BadgeState = 'verified' | 'dev' | 'stale' | 'refused' | 'unreachable' | 'down' | 'unavailable';

const ERROR_STATES: Partial<Record<ErrorCode, { state: BadgeState; label: string }>> = {
  'evidence-refused': { state: 'refused', label: 'Not verified' },
  'dev-refused': { state: 'refused', label: 'Development enclave: not accepted' },
  'dev-key-changed': { state: 'refused', label: 'Development key changed' },
  'relay-unreachable': { state: 'unreachable', label: 'Relay unreachable' },
  'enclave-unavailable': { state: 'down', label: 'Enclave down' },
};

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
  return kem === 'X-Wing'
    ? 'post-quantum: X-Wing (ML-KEM-768 + X25519)'
    : 'X25519 only (not post-quantum: this enclave offers no X-Wing key)';
}

/** The release rows: what was signed, by whom, and where it is logged. */
function ReleaseRows({ summary }: { summary: EvidenceSummary }) {
  const r = summary.release;
  if (!r) return <Row label="Release" value={summary.releaseId} />;
  return (
    <>
      <Row label="Release" value={r.version} />
      <Row label="Commit" value={r.commit} mono />
      {r.repository && <Row label="Repository" value={r.repository} />}
      {r.tag && <Row label="Tag" value={r.tag} />}
      {r.engine && <Row label="Engine" value={r.engine} mono />}
      <dt>Transparency log</dt>
      <dd data-testid="release-log">
        {r.logIndex !== undefined
          ? `logged in Sigstore, index ${r.logIndex}${r.integratedTime ? `, ${r.integratedTime}` : ''}`
          : 'not logged (signed with a configured release key)'}
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
              ? 'Development enclave (no hardware proof)'
              : 'Verified enclave'}
          </h2>
          {view.summary.development && (
            <p class="banner-dev">
              Development mode: no hardware protects these answers; whoever runs this enclave can
              read them.
            </p>
          )}
          {view.summary.override && (
            <p class="banner-dev" data-testid="override-notice">
              Expert override: your typed measurement list admitted this enclave, not a verified
              release.
            </p>
          )}
          <dl class="facts">
            <Row label="Platform" value={platformLabel(view.summary.platform)} />
            <Row label="Measurement" value={view.summary.measurement} mono />
            <Row label="Model" value={view.summary.model.name} />
            <Row label="Model SHA-256" value={view.summary.model.sha256} mono />
            <ReleaseRows summary={view.summary} />
            <Row label="Key id" value={String(view.summary.keyId)} />
            <Row label="Encryption" value={kemLabel(view.summary.kem)} testId="evidence-kem" />
            <Row
              label="Key made"
              value={`${view.summary.keyCreatedAt} (${formatAge(view.summary.keyAgeSeconds)} old)`}
            />
            <Row label="Verified" value={view.summary.verifiedAt} />
          </dl>
        </>
      ) : (
        <>
          <h2 id="evidence-title">{errorTitle(view.error)}</h2>
          <p>{view.error.message}</p>
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
          Close
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
        Checking enclave…
      </span>
    );
  }
  const s = 'summary' in view ? view.summary : undefined;
  const code = 'error' in view ? view.error.code : undefined;
  const failed = code
    ? (ERROR_STATES[code] ?? { state: 'unavailable', label: 'Not checked yet' })
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
    ? `${stale ? 'Stale · ' : ''}${platformLabel(s.platform)} · ${shortHash(s.measurement, 6, 0)} · ${s.model.name} · key ${formatAge(s.keyAgeSeconds)}`
    : failed!.label;
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
        aria-label={`Enclave: ${label}. Show the evidence.`}
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        <Icon name={s && !stale ? 'lock' : 'warn'} /> {label}
      </button>
      {open && <EvidenceDialog view={view} onClose={() => setOpen(false)} />}
    </>
  );
}
