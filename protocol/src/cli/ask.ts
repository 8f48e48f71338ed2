/**
 * `sotto ask`: verify the enclave's evidence, seal a prompt to its key, stream the
 * answer to stdout as it arrives. Retries once when the answer is cut off, and
 * once when the key rotated between evidence and request. With `--file`, the page is
 * planned by the context size the evidence states (client/plan/, shared with the
 * extension): sent whole when it fits, else read in parts, `part i of n` on stderr.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  answerDocument,
  type AttestedKey,
  type ChatMessage,
  type ChatRequest,
  type Complete,
  contextTokensOf,
  documentTurn,
  type EvidencePolicy,
  fetchAttestedKey,
  type KeyConfig,
  kemName,
  type PlanProgress,
  SottoError,
  streamChat,
  TokenEstimate,
  TruncatedStreamError,
} from '../index';
import { EXIT } from './exit-codes';
import { describeFailure, policyFromFlags, relayFromFlags } from './shared';
import type { CliIo } from './verify-snp';

export const ASK_USAGE = `Usage: sotto ask [options] "prompt"

Seals the prompt to the attested enclave key and streams the answer.

Options:
  --relay URL          relay address (default $SOTTO_RELAY_URL or http://127.0.0.1:8787)
  --allow-dev          accept development evidence (no hardware proof)
  --measurement HEX    expert override: accept this measurement instead of the
                       verified release's (repeatable)
  --system TEXT        a system message
  --file PAGE.txt      page text to send with the prompt
  --max-tokens N       answer length limit (default 256)
  --temperature T      0 for greedy decoding (default 0.7)
  --verbose            say on stderr which key and KEM sealed the request

Exit codes: 0 ok, 2 usage, 3 relay unreachable, 4 evidence refused,
5 answer cut off twice, 6 relay or enclave error, 1 other.
`;

const MAX_PAGE_BYTES = 2 * 1024 * 1024;

export async function runAsk(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    io.err(`sotto ask: ${(e as Error).message}\n\n${ASK_USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(ASK_USAGE);
    return EXIT.ok;
  }
  const prompt = positionals.join(' ').trim();
  const maxTokens = values['max-tokens'] === undefined ? 256 : Number(values['max-tokens']);
  const temperature = values.temperature === undefined ? 0.7 : Number(values.temperature);
  if (!prompt || !Number.isInteger(maxTokens) || maxTokens < 1 || !(temperature >= 0)) {
    io.err(
      `sotto ask: give a prompt, and numbers for --max-tokens and --temperature\n\n${ASK_USAGE}`,
    );
    return EXIT.usage;
  }
  let page = '';
  if (values.file) {
    const bytes = await readFile(values.file).catch(() => undefined);
    if (!bytes) {
      io.err(`sotto ask: cannot read ${values.file}\n`);
      return EXIT.usage;
    }
    if (bytes.length > MAX_PAGE_BYTES) {
      io.err(`sotto ask: ${values.file} is larger than ${MAX_PAGE_BYTES} bytes\n`);
      return EXIT.usage;
    }
    page = bytes.toString('utf8');
  }
  const system: ChatMessage[] = values.system ? [{ role: 'system', content: values.system }] : [];
  const relay = relayFromFlags(values.relay);
  const policy = policyFromFlags(values);
  let announced: AttestedKey | undefined;
  const announce = (key: AttestedKey): void => {
    if (key === announced) return;
    announced = key;
    if (key.evidence.development)
      io.err('sotto: DEVELOPMENT evidence: this enclave proves no hardware isolation.\n');
    if ('override' in key.evidence && key.evidence.override) {
      io.err(
        'sotto: EXPERT OVERRIDE: your --measurement list, not a verified release, admitted this enclave.\n',
      );
    }
    if (values.verbose) io.err(`sotto: ${sealedWith(key.keyConfig)}\n`);
  };
  try {
    const key = await fetchAttestedKey(relay, policy);
    const complete = completeVia(relay, policy, key, io, announce);
    const request = { max_tokens: maxTokens, temperature };
    if (!values.file) {
      await complete(
        { ...request, messages: [...system, { role: 'user', content: prompt }] },
        io.out,
      );
    } else {
      const doc = { title: basename(values.file), url: '', text: page };
      const result = await answerDocument(doc, prompt, documentTurn(doc, prompt), {
        contextTokens: contextTokensOf(key.evidence),
        maxTokens,
        temperature,
        estimate: new TokenEstimate(),
        complete,
        system,
        onProgress: (p) => io.err(`sotto: ${progressLine(p)}\n`),
        onDelta: io.out,
      });
      if (result.parts > 1) {
        io.err(`sotto: the answer was built from ${result.parts} parts of ${values.file}\n`);
      }
    }
    io.out('\n');
    return EXIT.ok;
  } catch (e) {
    if (e instanceof TruncatedStreamError) {
      io.out('\n');
      io.err('sotto: the answer was cut off again; giving up.\n');
      return EXIT.truncated;
    }
    const { message, exit } = describeFailure(e);
    io.err(`sotto: ${message}\n`);
    if (!(e instanceof SottoError)) io.err(`${(e as Error)?.stack ?? e}\n`);
    return exit;
  }
}

/** `part 3 of 7`, `combining 1 of 2`: what the planner is reading now. */
function progressLine(p: PlanProgress): string {
  return p.stage === 'part'
    ? `part ${p.index} of ${p.count}`
    : `combining ${p.index} of ${p.count} (round ${p.round})`;
}

/**
 * One planner request through {@link streamChat}: the verified `key` first, its retries
 * announced on stderr. A cut-off answer's retry starts again on a new line.
 */
function completeVia(
  relay: string,
  policy: EvidencePolicy,
  key: AttestedKey,
  io: CliIo,
  announce: (key: AttestedKey) => void,
): Complete {
  return async (request: ChatRequest, onDelta) => {
    let text = '';
    let finishReason = 'stop';
    let promptTokens: number | undefined;
    for await (const event of streamChat(relay, request, { policy, key })) {
      if (event.type === 'attested') announce(event.key);
      else if (event.type === 'retry') {
        if (event.reason === 'truncated' && onDelta && text) io.out('\n');
        text = '';
        io.err(`sotto: ${RETRY_NOTES[event.reason]}; retrying.\n`);
      } else if (event.type === 'delta') {
        text += event.text;
        onDelta?.(event.text);
      } else {
        finishReason = event.finishReason;
        promptTokens = event.usage?.prompt_tokens;
      }
    }
    return { text, finishReason, ...(promptTokens === undefined ? {} : { promptTokens }) };
  };
}

/** One line naming the key and KEM a request is sealed with (public facts only). */
function sealedWith(config: KeyConfig): string {
  const kem = kemName(config.kemId);
  const id = `0x${config.kemId.toString(16).padStart(4, '0')}`;
  return kem === 'X-Wing'
    ? `sealing with X-Wing (KEM ${id}, post-quantum hybrid ML-KEM-768 + X25519), key id ${config.keyId}`
    : `sealing with X25519 (KEM ${id}, not post-quantum: the enclave offers no X-Wing key), key id ${config.keyId}`;
}

const RETRY_NOTES = {
  'stale-key': 'the enclave rotated its key',
  busy: 'the enclave is busy',
  'enclave-down': 'the enclave holding the key is down; verifying another',
  truncated: 'the answer was cut off',
} as const;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      relay: { type: 'string' },
      'allow-dev': { type: 'boolean' },
      measurement: { type: 'string', multiple: true },
      system: { type: 'string' },
      file: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
