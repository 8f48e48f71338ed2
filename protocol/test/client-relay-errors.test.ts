/**
 * How the client reads the relay's refusals (protocol client/relay.ts): the relay's
 * `{"error": code}` and RFC 9457 problem details alike, told apart by what the
 * caller should do — a dead enclave (`503 enclave_unavailable`: fresh evidence),
 * overload (`503`/`429` with Retry-After: wait), a rotated key (`400 … key
 * identifier unknown`: re-verify). The body is hostile: bounded, no control
 * characters carried on, anything unreadable reduced to the status.
 */
import { describe, expect, it } from 'vitest';
import {
  isEnclaveUnavailable,
  isOverloaded,
  isStaleKey,
  OHTTP_CHUNKED_REQUEST_MEDIA_TYPE,
  postSealed,
  ServiceError,
} from '../src';

async function refusal(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Promise<ServiceError> {
  const fetchFn: typeof fetch = async () => new Response(body, { status, headers });
  try {
    await postSealed(
      'http://relay.invalid',
      { body: new Uint8Array(1), contentType: OHTTP_CHUNKED_REQUEST_MEDIA_TYPE },
      { fetch: fetchFn },
    );
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    return e as ServiceError;
  }
  throw new Error('postSealed accepted a refusal');
}

describe('relay refusals', () => {
  it('a dead enclave is not overload, in either body form', async () => {
    for (const body of [
      '{"error":"enclave_unavailable"}',
      '{"type":"https://sotto.invalid/problems/enclave_unavailable","title":"No enclave is up"}',
    ]) {
      const e = await refusal(503, body);
      expect({ body, down: isEnclaveUnavailable(e), busy: isOverloaded(e) }).toEqual({
        body,
        down: true,
        busy: false,
      });
    }
  });

  it('overload carries its Retry-After', async () => {
    const busy = await refusal(503, '{"error":"enclave_busy"}', { 'retry-after': '3' });
    expect([isOverloaded(busy), isEnclaveUnavailable(busy), busy.retryAfterSeconds]).toEqual([
      true,
      false,
      3,
    ]);
    const limited = await refusal(429, '', { 'retry-after': 'soon' });
    expect([isOverloaded(limited), limited.retryAfterSeconds]).toEqual([true, undefined]);
  });

  it('a rotated key, as the enclave says it in problem details, is stale', async () => {
    const e = await refusal(
      400,
      '{"type":"https://iana.org/assignments/http-problem-types#ohttp-key","title":"key identifier unknown"}',
    );
    expect(isStaleKey(e)).toBe(true);
    expect(isEnclaveUnavailable(e)).toBe(false);
  });

  it('hostile bodies: no control characters carried on, bounded, garbage reduced to the status', async () => {
    const escape = await refusal(
      503,
      JSON.stringify({ error: '\u001b[2J\u001b]0;pwned\u0007x\r\n' }),
    );
    // eslint-disable-next-line no-control-regex -- asserting their absence
    expect(escape.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    const long = await refusal(502, JSON.stringify({ error: 'a'.repeat(100_000) }));
    expect(long.message.length).toBeLessThan(200);
    for (const body of ['not json', '[1,2]', '{"error":{"x":1}}', '']) {
      expect((await refusal(502, body)).message).toBe('the relay answered 502');
    }
  });
});
