/**
 * The engine's pure parts: the thread rule, the plain prompt fallback and the stop-string
 * matcher that works across token boundaries.
 */
import { ConfigurationError } from '@sotto/protocol';
import { describe, expect, it } from 'vitest';
import {
  chooseThreads,
  MAX_THREADS,
  parseThreadsSetting,
  plainPromptText,
  TINY_MODEL_BYTES,
} from '../src/inference';
import { StopTextMatcher } from '../src/inference/generate';

const GIB = 2 ** 30;

describe('chooseThreads', () => {
  it('gives a tiny model one thread whatever the core count', () => {
    for (const cores of [1, 2, 16, 128]) {
      expect(chooseThreads({ modelSizeBytes: 1_185_408, cores })).toBe(1);
    }
    expect(chooseThreads({ modelSizeBytes: TINY_MODEL_BYTES - 1, cores: 8 })).toBe(1);
  });

  it('gives a larger model the cores, one left to the event loop above two, capped', () => {
    expect(chooseThreads({ modelSizeBytes: 4 * GIB, cores: 1 })).toBe(1);
    expect(chooseThreads({ modelSizeBytes: 4 * GIB, cores: 2 })).toBe(2);
    expect(chooseThreads({ modelSizeBytes: 4 * GIB, cores: 8 })).toBe(7);
    expect(chooseThreads({ modelSizeBytes: 4 * GIB, cores: 256 })).toBe(MAX_THREADS);
  });

  it('lets an explicit setting win, and checks it', () => {
    expect(chooseThreads({ modelSizeBytes: 1000, cores: 2, override: 2 })).toBe(2);
    for (const override of [0, -1, 1.5, MAX_THREADS + 1, Number.NaN]) {
      expect(() => chooseThreads({ modelSizeBytes: 1000, override })).toThrow(ConfigurationError);
    }
  });

  it('parses SOTTO_THREADS', () => {
    expect(parseThreadsSetting(undefined)).toBeUndefined();
    expect(parseThreadsSetting(' ')).toBeUndefined();
    expect(parseThreadsSetting('4')).toBe(4);
    expect(() => parseThreadsSetting('four')).toThrow(ConfigurationError);
    expect(() => parseThreadsSetting('-1')).toThrow(ConfigurationError);
  });
});

describe('plainPromptText (models without a chat template)', () => {
  it('is the raw text of a single user message', () => {
    expect(plainPromptText([{ role: 'user', content: 'Once upon a time' }])).toBe(
      'Once upon a time',
    );
  });

  it('concatenates turns as given, after system text and a blank line', () => {
    expect(
      plainPromptText([
        { role: 'system', content: 'Stories for children.' },
        { role: 'user', content: 'Once upon a time' },
        { role: 'assistant', content: ', there was a cat.' },
        { role: 'user', content: ' The end.' },
      ]),
    ).toBe('Stories for children.\n\nOnce upon a time, there was a cat. The end.');
    expect(
      plainPromptText([
        { role: 'system', content: 'a' },
        { role: 'system', content: 'b' },
      ]),
    ).toBe('a\n\nb');
  });
});

describe('StopTextMatcher', () => {
  const run = (stops: string[], pieces: string[]) => {
    const matcher = new StopTextMatcher(stops);
    let out = '';
    for (const piece of pieces) {
      const { emit, stopped } = matcher.push(piece);
      out += emit;
      if (stopped) return { out, stopped: true };
    }
    return { out: out + matcher.flush(), stopped: false };
  };

  it('passes text through without stop strings', () => {
    expect(run([], ['a', 'b'])).toEqual({ out: 'ab', stopped: false });
  });

  it('finds a stop string split over pieces and emits only what precedes it', () => {
    expect(run(['END'], ['the E', 'N', 'D more'])).toEqual({ out: 'the ', stopped: true });
    expect(run(['\n\n', 'User:'], ['hi\n', '\nUser:'])).toEqual({ out: 'hi', stopped: true });
  });

  it('releases held-back text that turns out not to be a stop string', () => {
    const matcher = new StopTextMatcher(['END']);
    expect(matcher.push('the EN')).toEqual({ emit: 'the ', stopped: false });
    expect(matcher.push('T')).toEqual({ emit: 'ENT', stopped: false });
    expect(run(['END'], ['an E'])).toEqual({ out: 'an E', stopped: false });
  });

  it('stops at the earliest of several stop strings', () => {
    expect(run(['cd', 'b'], ['abcd'])).toEqual({ out: 'a', stopped: true });
  });
});
