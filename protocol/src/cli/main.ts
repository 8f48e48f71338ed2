/**
 * The `sotto` command-line entry (Node only): `sotto <command> ...`. Each
 * command is one entry in `COMMANDS` (its words, a one-line summary and a
 * runner resolving to the exit status). Running this module runs the CLI on
 * `process.argv`; `bin/sotto.js` imports it. Unknown commands exit 2.
 * Everything written goes through `safeForTerminal` (terminal.ts).
 */

import { installNodeAesGcm } from '../node/aes-gcm';
import { runAsk } from './ask';
import { runEvidence } from './evidence';
import { exitQuietlyOnClosedOutput, safeForTerminal } from './terminal';
import { runReleaseSign } from './release-sign';
import { runSigstoreVerifyBundle } from './sigstore-verify-bundle';
import { type CliIo, runVerifySnp } from './verify-snp';
import { runVerifyTdx } from './verify-tdx';

export interface SottoCommand {
  /** The words that name it, e.g. `['verify', 'snp']`. */
  readonly words: readonly string[];
  readonly summary: string;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

export const COMMANDS: SottoCommand[] = [
  {
    words: ['ask'],
    summary: 'ask the attested enclave, sealed end to end; the answer streams to stdout',
    run: runAsk,
  },
  {
    words: ['evidence'],
    summary: "verify and summarise the enclave's evidence (platform, measurement, model, key)",
    run: runEvidence,
  },
  {
    words: ['verify', 'snp'],
    summary: 'verify an AMD SEV-SNP attestation report (VCEK, AMD chain, policy)',
    run: runVerifySnp,
  },
  {
    words: ['verify', 'tdx'],
    summary: 'verify an Intel TDX quote (PCK chain, QE, Intel PCS collateral, TCB status)',
    run: runVerifyTdx,
  },
  {
    words: ['sigstore', 'verify-bundle'],
    summary: 'verify a Sigstore bundle offline (sigstore-conformance CLI protocol)',
    run: runSigstoreVerifyBundle,
  },
  {
    words: ['release', 'sign'],
    summary: 'sign a release statement with a managed key (Sigstore bundle v0.3, DSSE)',
    run: runReleaseSign,
  },
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  const rows = COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'Usage: sotto <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Run `sotto <command> --help` for the options of a command.',
  ].join('\n');
}

/** Dispatches `argv` (without the node and script paths); resolves to the exit status. */
export async function runSotto(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.err(`${usage()}\n`);
    return 2;
  }
  if (first === 'help' || first === '--help' || first === '-h') {
    io.out(`${usage()}\n`);
    return 0;
  }
  const match = COMMANDS.filter((c) => c.words.every((w, i) => argv[i] === w)).sort(
    (a, b) => b.words.length - a.words.length,
  )[0];
  if (!match) {
    io.err(`sotto: unknown command '${argv.slice(0, 2).join(' ')}'\n\n${usage()}\n`);
    return 2;
  }
  return match.run(argv.slice(match.words.length), io);
}

exitQuietlyOnClosedOutput();
// Sealing and opening each chunk synchronously in OpenSSL, not as a WebCrypto job (node/aes-gcm.ts).
installNodeAesGcm();
const io: CliIo = {
  out: (t) => process.stdout.write(safeForTerminal(t)),
  err: (t) => process.stderr.write(safeForTerminal(t)),
};

try {
  process.exitCode = await runSotto(process.argv.slice(2), io);
} catch (e) {
  io.err(`sotto: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
