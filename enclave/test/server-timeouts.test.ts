/**
 * The enclave process against a slow client (issue 17, "Abuse"), over real TCP on
 * 127.0.0.1: the headers and the body each have an absolute deadline from their first
 * byte, so one byte every second does not keep a socket open (Node's defaults would
 * let it live for five minutes). No time is asserted: the test shows the connection
 * is cut while the client is still trickling, and that a prompt client is served.
 */
import net from 'node:net';
import { fetchAttestedKey, postSealed, sealChatRequest } from '@sotto/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EnclaveProcess, startEnclave } from './support/enclave-process';

const DEV = { allowDevelopment: true };
/** The trickle gives up after this many bytes: far past either deadline. */
const MAX_TRICKLED = 30;

let enclave: EnclaveProcess;
beforeAll(async () => {
  enclave = await startEnclave({ SOTTO_HEADERS_TIMEOUT: '2s', SOTTO_BODY_TIMEOUT: '2s' });
}, 60_000);
afterAll(async () => {
  await enclave?.stop();
});

interface Trickled {
  /** What the enclave answered before closing (raw HTTP). */
  answer: string;
  /** Bytes of `tail` written before the connection closed. */
  sent: number;
}

/** Writes `head` at once, then `tail` one byte a second until the enclave closes the socket. */
function trickle(head: Uint8Array, tail: Uint8Array): Promise<Trickled> {
  const { port } = new URL(enclave.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => {}); // a write racing the close; the close decides
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, sent });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= tail.length || sent >= MAX_TRICKLED) {
          clearInterval(timer);
          socket.destroy();
          reject(new Error(`still open after ${sent} trickled bytes`));
          return;
        }
        socket.write(tail.subarray(sent, sent + 1));
        sent += 1;
      }, 1_000);
    });
  });
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe('enclave request deadlines', () => {
  it('cuts request headers trickled one byte a second (408, closed)', async () => {
    const headers = ascii(
      `GET /healthz HTTP/1.1\r\nHost: enclave\r\nX-Padding: ${'a'.repeat(200)}\r\n\r\n`,
    );
    const r = await trickle(headers.subarray(0, 4), headers.subarray(4));
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.sent).toBeLessThan(MAX_TRICKLED);
  }, 60_000);

  it('cuts a sealed request body trickled one byte a second (408, closed), and still serves a prompt one', async () => {
    const { keyConfig } = await fetchAttestedKey(enclave.url, DEV);
    const story = { messages: [{ role: 'user' as const, content: 'Once upon a time' }] };
    const sealed = await sealChatRequest(keyConfig, { ...story, max_tokens: 4, temperature: 0 });
    const body = sealed.body as Uint8Array;
    const head = ascii(
      `POST /v1/ohttp HTTP/1.1\r\nHost: enclave\r\nContent-Type: ${sealed.contentType}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    // The key id and the HPKE encapsulation arrive first, so the gateway is reading
    // a genuine request when the deadline passes.
    const r = await trickle(head, body);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.sent).toBeLessThan(MAX_TRICKLED);
    expect(r.sent).toBeLessThan(body.length);

    const again = await sealChatRequest(keyConfig, { ...story, max_tokens: 4, temperature: 0 });
    const answer = await postSealed(enclave.url, again);
    await answer.cancel();
  }, 60_000);
});
