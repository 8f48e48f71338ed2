/**
 * How many tokens a text costs, estimated on the client, which cannot tokenize: the enclave's
 * tokenizer is the model's own, and the evidence names the model but ships no vocabulary.
 *
 * The estimate starts conservative, {@link START_CHARS_PER_TOKEN} characters per token
 * (measured on the test model stories260K, whose 512-entry vocabulary is about as fine as a
 * tokenizer gets: 1.3–2.0 characters per token on English, under 1 on accented and CJK text;
 * Llama-3-class vocabularies give about 4 on English), and learns from the enclave's own
 * counts: every answer's `usage.prompt_tokens`, and the token count a 413 "prompt is N tokens"
 * states. It keeps the lowest ratio seen, with a margin, so one page of easy text does not
 * make the next plan overreach. Where it still overreaches, the enclave refuses with 413
 * before it evaluates anything and the planner plans again, smaller (map-reduce.ts).
 */

/** The first guess, before the enclave has counted anything for this model. */
export const START_CHARS_PER_TOKEN = 1.25;
/**
 * English on a large vocabulary (Llama 3 class). Before anything was counted, a page that
 * would fit at this ratio is tried whole once: a 413 costs one refused request and teaches
 * the exact count (map-reduce.ts).
 */
export const OPTIMISTIC_CHARS_PER_TOKEN = 4;
/** A learned ratio is used at this share, for text harder than what was measured. */
export const LEARNED_MARGIN = 0.9;
/** Never assume fewer characters per token than this (a byte-level tokenizer's floor, about). */
export const MIN_CHARS_PER_TOKEN = 0.5;
/** Tokens a chat template may add around each message (role markers, separators). */
export const TEMPLATE_TOKENS_PER_MESSAGE = 8;

export class TokenEstimate {
  #charsPerToken: number;
  #learned = false;

  constructor(charsPerToken = START_CHARS_PER_TOKEN) {
    this.#charsPerToken = charsPerToken;
  }

  get charsPerToken(): number {
    return this.#charsPerToken;
  }

  /** Whether the enclave has counted anything yet (else the ratio is the start guess). */
  get learned(): boolean {
    return this.#learned;
  }

  /** Estimated tokens of `text`. */
  tokens(text: string): number {
    return Math.ceil(text.length / this.#charsPerToken);
  }

  /** Estimated prompt tokens of a message list, template included. */
  promptTokens(messages: readonly { content: string }[]): number {
    return messages.reduce(
      (sum, m) => sum + this.tokens(m.content) + TEMPLATE_TOKENS_PER_MESSAGE,
      0,
    );
  }

  /** Characters that fit in `tokens` by the current estimate. */
  chars(tokens: number): number {
    return Math.max(0, Math.floor(tokens * this.#charsPerToken));
  }

  /**
   * The enclave counted `tokens` for a prompt of `chars` characters (answer usage or a 413).
   * Learns the lowest ratio seen; the first count replaces the start guess.
   */
  observe(chars: number, tokens: number): void {
    if (!(chars > 0) || !(tokens > 0)) return;
    const ratio = Math.max(MIN_CHARS_PER_TOKEN, (chars / tokens) * LEARNED_MARGIN);
    this.#charsPerToken = this.#learned ? Math.min(this.#charsPerToken, ratio) : ratio;
    this.#learned = true;
  }

  /** After a 413 that said no count: assume text twice as dense. */
  shrink(): void {
    this.#charsPerToken = Math.max(MIN_CHARS_PER_TOKEN, this.#charsPerToken / 2);
    this.#learned = true;
  }
}
