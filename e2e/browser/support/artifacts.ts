/**
 * What a failed browser test leaves behind under `artifacts/` (git-ignored): a
 * screenshot of every open page, the pages' and worker's console, and the
 * relay's and enclave's output, in a folder named after the test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { REPO_ROOT } from '../../../enclave/test/support/enclave-process';
import type { ExtensionBrowser } from './browser';

export interface ArtifactSources {
  browser?: ExtensionBrowser | undefined;
  /** Named text outputs (relay, enclave, …). */
  logs?: Record<string, () => string>;
}

/** Settles when `p` does or after `ms`, whichever is first; never rejects. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => {},
      () => {},
    ),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80);
}

/** Writes the artifacts for `testName`; never throws (a failing test's own error matters more). */
export async function saveArtifacts(
  suite: string,
  testName: string,
  src: ArtifactSources,
): Promise<string> {
  const dir = join(REPO_ROOT, 'artifacts', 'browser', slug(suite), slug(testName));
  try {
    mkdirSync(dir, { recursive: true });
    if (src.browser) {
      writeFileSync(join(dir, 'console.log'), src.browser.console.join('\n'));
      const pages = await src.browser.pages().catch(() => []);
      for (const [i, page] of pages.entries()) {
        const name = `page-${i}-${slug(page.url()).slice(0, 40)}.png`;
        // A background tab paints no frame: bring each to the front, and give up on one that hangs.
        await within(
          page
            .bringToFront()
            .then(() => page.screenshot({ path: join(dir, name) as `${string}.png` })),
          10_000,
        );
      }
    }
    for (const [name, read] of Object.entries(src.logs ?? {})) {
      try {
        writeFileSync(join(dir, `${slug(name)}.log`), read());
      } catch {
        // a source that is gone has nothing to add
      }
    }
  } catch {
    // best effort
  }
  return dir;
}

/**
 * Registers, in the calling `describe` block, an `afterEach` that saves a failed test's
 * artifacts; `sources` is read only then, so it sees the browser and stack of that moment.
 */
export function saveArtifactsOnFailure(suite: string, sources: () => ArtifactSources): void {
  afterEach(async ({ task }) => {
    if (task.result?.state !== 'fail') return;
    await saveArtifacts(suite, task.name, sources());
  }, 120_000);
}

/** The relay's and enclave's output of a browser test's stack, as artifact logs. */
export function stackLogs(stack: {
  relay: { output(): string };
  enclaveOutput(): string;
}): Record<string, () => string> {
  return { relay: () => stack.relay.output(), enclave: () => stack.enclaveOutput() };
}
