/**
 * Answers a request about a document of any length from the context size the evidence
 * states (issue 15): a document whose whole turn fits is sent whole; one that does not is
 * split on its own structure (split.ts), each part summarized ("map"), and the summaries
 * combined, in rounds while they do not fit together, until one request answers from all of
 * them ("reduce"). Every part is read; none is cut or skipped, and the result says how many
 * parts the answer was built from. Progress is reported per request, and `signal` stops
 * between and during requests.
 *
 * Token counts are estimates (estimate.ts). When the enclave refuses a prompt as too long
 * (its own 413), the planner learns the count it states and plans again, smaller. That is
 * safe: the enclave checks the prompt's length before it takes a sequence or evaluates a
 * token, so a refused request produced nothing and stored nothing; the retry is sealed
 * afresh, like any retry (stream-chat.ts), and the relay sees one more request of a padded
 * size, no more than it sees of any conversation.
 *
 * What the relay learns: how many requests a page took, so roughly how long it was in
 * parts, as it learns the number of turns of a chat (DESIGN.md, "Traffic analysis").
 */
import { LimitExceededError } from '../../errors';
import type { ChatMessage, ChatRequest } from '../chat';
import { answerReserve, isPromptTooLong, partAnswerTokens, statedPromptTokens } from './budget';
import { OPTIMISTIC_CHARS_PER_TOKEN, TokenEstimate } from './estimate';
import { combineTurn, partTurn, type PlanDocument } from './prompts';
import { splitText } from './split';

/** One answered request. */
export interface Completion {
  text: string;
  finishReason: string;
  /** The enclave's count of the prompt, when it sent usage. */
  promptTokens?: number;
}

/**
 * Sends one request (sealed, with the caller's retries) and resolves to its whole answer;
 * `onDelta` gets the text as it arrives.
 * @throws what the caller's transport throws; an enclave 413 as ServiceError (status 413, inner).
 */
export type Complete = (
  request: ChatRequest,
  onDelta?: (text: string) => void,
) => Promise<Completion>;

export type PlanProgress =
  | { stage: 'part'; index: number; count: number }
  | { stage: 'combine'; index: number; count: number; round: number };

export interface PlanOptions {
  /** Tokens per request, from the verified evidence. */
  contextTokens: number;
  /** The final answer's `max_tokens`. */
  maxTokens: number;
  estimate: TokenEstimate;
  complete: Complete;
  temperature?: number;
  /** Kept in front of every request (a system message the user gave). */
  system?: readonly ChatMessage[];
  onProgress?: (p: PlanProgress) => void;
  /** The final answer's text as it arrives. */
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
}

export interface PlanResult {
  text: string;
  finishReason: string;
  /** Parts the document was read in: 1 when it was sent whole. */
  parts: number;
}

/** Times the planner plans again after a 413 before giving up. */
export const MAX_REPLANS = 6;
/** Below this many characters per part the context is too small to read anything in. */
export const MIN_PART_CHARS = 16;

class Planner {
  readonly #o: PlanOptions;
  #replans = 0;

  constructor(options: PlanOptions) {
    this.#o = options;
  }

  get options(): PlanOptions {
    return this.#o;
  }

  /** Whether `turn` (after the system messages) leaves `answer` tokens free, by the estimate. */
  fits(turn: ChatMessage, answer: number): boolean {
    const { estimate, contextTokens, system = [] } = this.#o;
    return estimate.promptTokens([...system, turn]) + answer <= contextTokens;
  }

  /** Whether `turn` would fit at {@link OPTIMISTIC_CHARS_PER_TOKEN}. */
  mightFit(turn: ChatMessage, answer: number): boolean {
    const { contextTokens, system = [] } = this.#o;
    const optimistic = new TokenEstimate(OPTIMISTIC_CHARS_PER_TOKEN);
    return optimistic.promptTokens([...system, turn]) + answer <= contextTokens;
  }

  /** Characters of data a turn built by `make` may carry and still leave `answer` tokens free. */
  room(make: (data: string) => ChatMessage, answer: number): number {
    const { estimate, contextTokens, system = [] } = this.#o;
    const overhead = estimate.promptTokens([...system, make('')]);
    const chars = estimate.chars(contextTokens - answer - overhead);
    if (chars < MIN_PART_CHARS) {
      throw new LimitExceededError(
        `the model's context (${contextTokens} tokens) is too small to read a document in parts`,
      );
    }
    return chars;
  }

  /**
   * Sends `turn`; learns from the enclave's count. Resolves `undefined` after a 413 (the
   * estimate is corrected; the caller plans again).
   * @throws LimitExceededError after {@link MAX_REPLANS} refusals; the transport's errors.
   */
  async ask(turn: ChatMessage, maxTokens: number, stream = false): Promise<Completion | undefined> {
    const { estimate, complete, system = [], temperature, signal, onDelta } = this.#o;
    signal?.throwIfAborted();
    const messages = [...system, turn];
    const chars = messages.reduce((n, m) => n + m.content.length, 0);
    try {
      const done = await complete(
        { messages, max_tokens: maxTokens, ...(temperature === undefined ? {} : { temperature }) },
        stream ? onDelta : undefined,
      );
      if (done.promptTokens !== undefined) estimate.observe(chars, done.promptTokens);
      return done;
    } catch (e) {
      if (!isPromptTooLong(e) || signal?.aborted) throw e;
      if (++this.#replans > MAX_REPLANS) {
        throw new LimitExceededError('the enclave kept refusing the parts as too long', {
          cause: e,
        });
      }
      const stated = statedPromptTokens(e);
      if (stated === undefined) estimate.shrink();
      else estimate.observe(chars, stated);
      return undefined;
    }
  }
}

/**
 * Answers `instruction` about `doc`: `whole` (the caller's own turn carrying the whole
 * document) when it fits, else by map-reduce over the document's parts.
 * @throws LimitExceededError when the context cannot hold even a small part; the
 *   transport's errors (an abort as the signal's reason).
 */
export async function answerDocument(
  doc: PlanDocument,
  instruction: string,
  whole: ChatMessage,
  options: PlanOptions,
): Promise<PlanResult> {
  const p = new Planner(options);
  const finalAnswer = answerReserve(options.contextTokens, options.maxTokens);
  if (!options.estimate.learned && !p.fits(whole, finalAnswer) && p.mightFit(whole, finalAnswer)) {
    // Nothing counted yet, and the page may well fit: one try teaches the real count.
    const done = await p.ask(whole, options.maxTokens, true);
    if (done) return { text: done.text, finishReason: done.finishReason, parts: 1 };
  }
  while (p.fits(whole, finalAnswer)) {
    const done = await p.ask(whole, options.maxTokens, true);
    if (done) return { text: done.text, finishReason: done.finishReason, parts: 1 };
  }
  return mapReduce(p, doc, instruction);
}

async function mapReduce(p: Planner, doc: PlanDocument, instruction: string): Promise<PlanResult> {
  const o = p.options;
  const partAnswer = partAnswerTokens(o.contextTokens);
  const finalAnswer = answerReserve(o.contextTokens, o.maxTokens);
  // The part turn's fixed text does not depend on the numbers' digits by more than a few
  // characters; sized with the largest plausible ones.
  const partRoom = () => p.room((d) => partTurn(doc, d, 99_999, 99_999, instruction), partAnswer);

  let parts = splitText(doc.text, partRoom());
  const summaries: string[] = [];
  while (summaries.length < parts.length) {
    const i = summaries.length;
    o.onProgress?.({ stage: 'part', index: i + 1, count: parts.length });
    const done = await p.ask(
      partTurn(doc, parts[i]!, i + 1, parts.length, instruction),
      partAnswer,
    );
    if (done) summaries.push(done.text.trim() || '(nothing to note)');
    // Refused as too long: the rest is split again by the corrected estimate.
    else parts = [...parts.slice(0, i), ...splitText(parts.slice(i).join('\n\n'), partRoom())];
  }
  const partCount = parts.length;

  let level = summaries;
  for (let round = 1; ; round++) {
    const final = combineTurn(doc, level, instruction, true);
    if (p.fits(final, finalAnswer)) {
      const done = await p.ask(final, o.maxTokens, true);
      if (done) return { text: done.text, finishReason: done.finishReason, parts: partCount };
      continue;
    }
    const groups = groupSummaries(p, doc, level, instruction, partAnswer);
    if (groups.length >= level.length) {
      throw new LimitExceededError(
        `the model's context (${o.contextTokens} tokens) is too small to combine the parts`,
      );
    }
    const next: string[] = [];
    while (next.length < groups.length) {
      const g = next.length;
      o.onProgress?.({ stage: 'combine', index: g + 1, count: groups.length, round });
      const done = await p.ask(combineTurn(doc, groups[g]!, instruction, false), partAnswer);
      if (done) next.push(done.text.trim() || '(nothing to note)');
      else break; // estimate corrected: regroup this round
    }
    if (next.length === groups.length) level = next;
    else round--;
  }
}

/** Consecutive summaries packed into groups whose merge turn fits. */
function groupSummaries(
  p: Planner,
  doc: PlanDocument,
  summaries: readonly string[],
  instruction: string,
  answer: number,
): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  for (const s of summaries) {
    const tried = [...current, s];
    if (current.length === 0 || p.fits(combineTurn(doc, tried, instruction, false), answer)) {
      current = tried;
    } else {
      groups.push(current);
      current = [s];
    }
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
