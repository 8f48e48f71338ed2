/** `safeForTerminal`: what the CLI writes keeps its lines and tabs and loses every control. */
import { describe, expect, it } from 'vitest';
import { safeForTerminal } from '../src/cli/terminal';

describe('safeForTerminal', () => {
  it('keeps text, newlines and tabs as they are', () => {
    expect(safeForTerminal('Once upon a time,\n\tthere was … ünïcode 🦊\n')).toBe(
      'Once upon a time,\n\tthere was … ünïcode 🦊\n',
    );
    expect(safeForTerminal('a\r\nb')).toBe('a\nb');
  });

  it('writes C0, DEL, C1 and bidi controls as visible escapes', () => {
    expect(safeForTerminal('\u001b]2;t\u0007')).toBe('\\x1b]2;t\\x07');
    expect(safeForTerminal('\u001b[2Jx\rY\u0000\u007f')).toBe('\\x1b[2Jx\\x0dY\\x00\\x7f');
    expect(safeForTerminal('\u009b31m\u0085')).toBe('\\x9b31m\\x85');
    expect(safeForTerminal('\u202eabc\u2066\u200f')).toBe('\\u202eabc\\u2066\\u200f');
  });
});
