/**
 * Who may sign a release: the identity policy for keyless (Fulcio) release bundles.
 * A GitHub Actions workflow's certificate carries, as its SAN URI,
 *
 *   https://github.com/OWNER/REPO/.github/workflows/FILE@REF
 *
 * and the issuer `https://token.actions.githubusercontent.com` (Fulcio's certificate
 * extension 1.3.6.1.4.1.57264.1.8, read by @sigstore/verify). The policy names the
 * issuer, the repository, the workflow file and the tag prefix; each mismatch is its
 * own check so the user learns whether the repository or the ref was wrong. A branch
 * (`refs/heads/…`) or a pull request is never a release.
 */
import { ConfigurationError } from '../errors';
import { ReleaseRefusedError } from './errors';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

export interface ReleaseIdentityPolicy {
  /** OIDC issuer of the signing certificate. */
  issuer: string;
  /** `owner/name` of the repository whose workflow signs releases. */
  repository: string;
  /** Workflow file, relative to the repository root. */
  workflow: string;
  /** Required ref prefix; must start with `refs/tags/`. */
  tagPrefix: string;
}

/** The project's own release identity: `.github/workflows/release.yml` on a `v*` tag. */
export const SOTTO_RELEASE_IDENTITY: ReleaseIdentityPolicy = {
  issuer: GITHUB_ACTIONS_ISSUER,
  repository: 'sotto-dev/sotto',
  workflow: '.github/workflows/release.yml',
  tagPrefix: 'refs/tags/v',
};

const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

/**
 * Checks a user-supplied policy (settings, CLI flags).
 * @throws ConfigurationError naming the field at fault.
 */
export function checkIdentityPolicy(p: ReleaseIdentityPolicy): ReleaseIdentityPolicy {
  if (!/^https:\/\/[^\s]+$/.test(p.issuer))
    throw new ConfigurationError('release issuer must be an https URL');
  if (!REPO.test(p.repository))
    throw new ConfigurationError('release repository must be owner/name');
  if (!/^\.github\/workflows\/[A-Za-z0-9_.-]+\.ya?ml$/.test(p.workflow)) {
    throw new ConfigurationError('release workflow must be .github/workflows/NAME.yml');
  }
  if (!p.tagPrefix.startsWith('refs/tags/'))
    throw new ConfigurationError('release ref must start with refs/tags/');
  return p;
}

export interface ReleaseSigner {
  issuer: string;
  repository: string;
  workflow: string;
  /** The full ref, `refs/tags/…`. */
  ref: string;
  /** The tag name (ref without `refs/tags/`). */
  tag: string;
}

/**
 * Judges a verified certificate identity against the policy.
 * @throws ReleaseRefusedError (`issuer`, `repository`, `tag` or `identity`).
 */
export function checkReleaseSigner(
  signer: { subjectAlternativeName?: string; issuer?: string },
  policy: ReleaseIdentityPolicy,
): ReleaseSigner {
  if (signer.issuer !== policy.issuer) {
    throw new ReleaseRefusedError(
      'issuer',
      `signed through ${signer.issuer ?? 'no issuer'}, not ${policy.issuer}`,
    );
  }
  const san = signer.subjectAlternativeName ?? '';
  const m = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/(\.github\/workflows\/[^@]+)@(refs\/.+)$/.exec(
    san,
  );
  if (!m)
    throw new ReleaseRefusedError('identity', 'the certificate does not name a GitHub workflow');
  const [, repository, workflow, ref] = m as unknown as [string, string, string, string];
  if (repository !== policy.repository) {
    throw new ReleaseRefusedError(
      'repository',
      `signed in ${repository}, not ${policy.repository}`,
    );
  }
  if (!ref.startsWith('refs/tags/') || !ref.startsWith(policy.tagPrefix)) {
    throw new ReleaseRefusedError(
      'tag',
      `signed for ${ref}, not a release tag ${policy.tagPrefix}*`,
    );
  }
  if (workflow !== policy.workflow) {
    throw new ReleaseRefusedError('identity', `signed by ${workflow}, not ${policy.workflow}`);
  }
  return { issuer: signer.issuer, repository, workflow, ref, tag: ref.slice('refs/tags/'.length) };
}
