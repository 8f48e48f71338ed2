/**
 * What the CLI writes to a terminal, and what happens when the terminal (or
 * the pipe) goes away.
 *
 * Text from outside the CLI reaches stdout and stderr: the relay's error text,
 * the enclave's inner error messages, the model's answer. Any of it may carry
 * terminal control sequences (ECMA-48: ESC, CSI, OSC …) that set the window
 * title, rewrite the screen, hide text or, on some terminals, answer back.
 * Every control character except newline and tab is therefore written as a
 * visible escape (`\x1b`), and so are the Unicode bidirectional controls that
 * reorder what a reader sees (Unicode TR #9; "Trojan Source", CVE-2021-42574).
 *
 * `sotto ask … | head` closes stdout early: the next write fails with EPIPE.
 * That is the reader saying it has enough, so the command ends quietly, with
 * exit status 0 and no message.
 */

/** C0 controls except TAB and LF, DEL, C1 controls, and the bidi embedding/override/isolate controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unsafe character written as an inert `\xNN` / `\uNNNN` escape. */
export function safeForTerminal(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Makes a closed stdout or stderr (EPIPE) end the process quietly with status 0;
 * any other stream error still ends it with status 1 and one line.
 */
export function exitQuietlyOnClosedOutput(proc: NodeJS.Process = process): void {
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') proc.exit(0);
    try {
      proc.stderr.write(`sotto: cannot write output (${e.code ?? 'error'})\n`);
    } finally {
      proc.exit(1);
    }
  };
  proc.stdout.on('error', onError);
  proc.stderr.on('error', onError);
}
