/**
 * The enclave log keeps per-request sizes, token counts and cache hits in
 * memory and writes them only summed, over at least five requests (issue 13).
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log';

const entry = (i: number) => ({
  requestId: `r${i}`,
  route: 'ohttp',
  status: 200,
  outcome: 'inner-200-stop',
  keyId: 3,
  requestBytes: 1000 + i,
  responseBytes: 5000 + i,
  promptTokens: 451,
  completionTokens: 17 + i,
  evaluatedPromptTokens: 1,
  ttfbMs: 12.5,
  totalMs: 99.25,
});

describe('enclave request log', () => {
  it('writes no per-request figure, and only rounded sums over five or more requests', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l));
    for (let i = 0; i < 4; i++) log.request(entry(i));
    log.flushAggregates();
    expect(lines.map((l) => JSON.parse(l).event)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    for (const l of lines) {
      expect(Object.keys(JSON.parse(l)).sort()).toEqual(
        ['t', 'requestId', 'route', 'status', 'outcome', 'keyId'].sort(),
      );
      expect(l).not.toMatch(/451|1000|5000|99|12\.5/);
    }
    log.request(entry(4));
    log.flushAggregates();
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      event: 'traffic',
      requests: 5,
      // Sums to two significant digits: 2255 → 2300, 95, 2250 → 2300.
      promptTokens: 2300,
      completionTokens: 95,
      cachedPromptTokens: 2300,
    });
    log.flushAggregates();
    expect(lines).toHaveLength(6);
  });

  it('writes every figure when made for debugging', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l), { detail: true });
    log.request(entry(0));
    expect(JSON.parse(lines[0]!)).toMatchObject({ promptTokens: 451, evaluatedPromptTokens: 1 });
  });
});
