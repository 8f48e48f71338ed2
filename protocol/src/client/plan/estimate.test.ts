import { describe, expect, it } from 'vitest';
import {
  LEARNED_MARGIN,
  MIN_CHARS_PER_TOKEN,
  START_CHARS_PER_TOKEN,
  TEMPLATE_TOKENS_PER_MESSAGE,
  TokenEstimate,
} from './estimate';

describe('TokenEstimate', () => {
  it('starts conservative and counts the template per message', () => {
    const e = new TokenEstimate();
    expect(e.charsPerToken).toBe(START_CHARS_PER_TOKEN);
    expect(e.tokens('x'.repeat(100))).toBe(Math.ceil(100 / START_CHARS_PER_TOKEN));
    expect(e.promptTokens([{ content: '' }, { content: '' }])).toBe(
      2 * TEMPLATE_TOKENS_PER_MESSAGE,
    );
  });

  it("learns the enclave's counts, keeping the lowest ratio seen, with a margin", () => {
    const e = new TokenEstimate();
    e.observe(400, 100); // 4 chars per token: a large vocabulary
    expect(e.charsPerToken).toBeCloseTo(4 * LEARNED_MARGIN);
    e.observe(300, 100); // harder text
    expect(e.charsPerToken).toBeCloseTo(3 * LEARNED_MARGIN);
    e.observe(800, 100); // easier text does not loosen it
    expect(e.charsPerToken).toBeCloseTo(3 * LEARNED_MARGIN);
    e.observe(0, 10);
    e.observe(10, Number.NaN);
    expect(e.charsPerToken).toBeCloseTo(3 * LEARNED_MARGIN);
  });

  it('halves on a refusal without a count, down to a floor', () => {
    const e = new TokenEstimate(1);
    e.shrink();
    expect(e.charsPerToken).toBe(0.5);
    e.shrink();
    expect(e.charsPerToken).toBe(MIN_CHARS_PER_TOKEN);
  });
});
