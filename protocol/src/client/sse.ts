/**
 * A streaming parser for server-sent events (HTML Living Standard §9.2.6), just
 * enough for OpenAI-style streams: `data:` lines joined per event, comments and
 * other fields ignored. Bounded: one event may not grow past `maxEventBytes`.
 */
import { LimitExceededError, MalformedError } from '../errors';

export const DEFAULT_MAX_EVENT_CHARS = 1024 * 1024;

/** Splits decoded text into event data strings, as each event completes. */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #dataChars = 0;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #maxEventChars: number;

  constructor(maxEventChars = DEFAULT_MAX_EVENT_CHARS) {
    this.#maxEventChars = maxEventChars;
  }

  /** Feeds bytes; returns the data of every event completed by them. */
  push(bytes: Uint8Array): string[] {
    try {
      this.#buffer += this.#decoder.decode(bytes, { stream: true });
    } catch (cause) {
      throw new MalformedError('event stream is not valid UTF-8', { cause });
    }
    const events: string[] = [];
    for (;;) {
      const nl = this.#buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const line = this.#buffer.slice(0, nl);
      const eol = this.#buffer.startsWith('\r\n', nl) ? 2 : 1;
      this.#buffer = this.#buffer.slice(nl + eol);
      if (line === '') {
        if (this.#data.length > 0) events.push(this.#data.join('\n'));
        this.#data = [];
        this.#dataChars = 0;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') {
        this.#dataChars += value.length;
        if (this.#dataChars > this.#maxEventChars)
          throw new LimitExceededError('event is too large');
        this.#data.push(value);
      }
    }
    if (this.#buffer.length > this.#maxEventChars)
      throw new LimitExceededError('event line is too long');
    return events;
  }
}
