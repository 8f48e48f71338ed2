/**
 * The lock badge (issue 5 item 5): verified platform, short measurement, model,
 * key age; a click opens the full evidence summary. When verification failed
 * it says so and the dialog lists every reason.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ErrorInfo, EvidenceSummary } from '../messaging';
import { errorTitle, formatAge, platformLabel, shortHash } from './format';
import { Icon } from './icons';

export type EvidenceView = { summary: EvidenceSummary } | { error: ErrorInfo } | undefined;

function Row({ label, value, mono }: { label: string; value: string; mono?: boolean }) {
  return (
    <>
      <dt>{label}</dt>
      <dd class={mono ? 'mono' : undefined}>{value}</dd>
    </>
  );
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
            <p class="banner-dev">Development mode: no hardware protects these answers.</p>
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

export function LockBadge({ view }: { view: EvidenceView }) {
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
  // Refused evidence is a verdict; an unreachable relay or a locked vault is not.
  const refused = code === 'evidence-refused' || code === 'dev-refused';
  const label = s
    ? `${platformLabel(s.platform)} · ${shortHash(s.measurement, 6, 0)} · ${s.model.name} · key ${formatAge(s.keyAgeSeconds)}`
    : refused
      ? 'Not verified'
      : code === 'relay-unreachable'
        ? 'Relay unreachable'
        : 'Not checked yet';
  return (
    <>
      <button
        type="button"
        class={`badge ${s ? (s.development ? 'badge-dev' : 'badge-ok') : refused ? 'badge-bad' : 'badge-pending'}`}
        data-testid="lock-badge"
        data-state={s ? (s.development ? 'dev' : 'verified') : refused ? 'refused' : 'unavailable'}
        data-code={code}
        data-platform={s?.platform}
        data-model-sha256={s?.model.sha256}
        aria-label={`Enclave: ${label}. Show the evidence.`}
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        <Icon name={s ? 'lock' : 'warn'} /> {label}
      </button>
      {open && <EvidenceDialog view={view} onClose={() => setOpen(false)} />}
    </>
  );
}
