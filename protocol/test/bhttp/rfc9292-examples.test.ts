/**
 * RFC 9292 §5 examples (../shared/vectors/bhttp/rfc9292_examples.json): each
 * decodes to the documented HTTP/1.1 message and re-encodes to the same bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  createResponseEncoder,
  decodeRequest,
  decodeResponse,
  decodeResponseStream,
  encodeRequest,
  encodeResponse,
} from '../../src/bhttp';
import { fromHex, toHex, utf8 } from '../../src/bytes';
import { parseHttp1 } from './http1';
import { bytewise, readAll, streamOf } from './streams';
import { bhttpExamples, exampleHex } from './vectors';

const examples = bhttpExamples();
const requestText = parseHttp1(examples.get('ex-request')!.http_message!);
const responseText = parseHttp1(examples.get('ex-response')!.http_message!);
const chunkedText = parseHttp1(examples.get('ex-chunked')!.http_message!);

function statusOf(startLine: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(startLine)![1]);
}

describe('RFC 9292 §5 examples', () => {
  it('holds the four binary examples at their documented lengths', () => {
    for (const anchor of [
      'ex-bink-request',
      'ex-bini-request',
      'ex-bini-response',
      'ex-bink-chunked',
    ]) {
      const e = examples.get(anchor)!;
      expect(fromHex(e.hex!).length).toBe(e.length);
    }
  });

  const expectedRequest = {
    method: 'GET',
    scheme: 'https',
    authority: '', // RFC 9292 §5: Host is not copied into :authority
    path: '/hello.txt',
    headers: requestText[0]!.headers,
    body: new Uint8Array(0),
    trailers: [],
  };

  it('documents the request the tests expect', () => {
    expect(requestText).toHaveLength(1);
    expect(requestText[0]!.startLine).toBe('GET /hello.txt HTTP/1.1');
  });

  it('ex-bink-request: known-length request decodes and re-encodes byte for byte', () => {
    const bytes = fromHex(exampleHex('ex-bink-request'));
    const req = decodeRequest(bytes);
    expect(req).toEqual(expectedRequest);
    expect(toHex(encodeRequest(req))).toBe(toHex(bytes));
  });

  it('ex-bini-request: indeterminate-length request with 10 bytes of padding', () => {
    const bytes = fromHex(exampleHex('ex-bini-request'));
    const req = decodeRequest(bytes);
    expect(req).toEqual(expectedRequest);
    expect(toHex(encodeRequest(req, { framing: 'indeterminate-length', padding: 10 }))).toBe(
      toHex(bytes),
    );
  });

  it('RFC 9292 §5: the request can lose its last 2 (known) or 12 (indeterminate) bytes unchanged', () => {
    const bink = fromHex(exampleHex('ex-bink-request'));
    const bini = fromHex(exampleHex('ex-bini-request'));
    for (let cut = 1; cut <= 2; cut++) {
      expect(decodeRequest(bink.subarray(0, bink.length - cut))).toEqual(expectedRequest);
    }
    for (let cut = 1; cut <= 12; cut++) {
      expect(decodeRequest(bini.subarray(0, bini.length - cut))).toEqual(expectedRequest);
    }
  });

  const [r102, r103, r200] = responseText;
  const expectedResponse = {
    informational: [
      { status: statusOf(r102!.startLine), headers: r102!.headers },
      { status: statusOf(r103!.startLine), headers: r103!.headers },
    ],
    status: statusOf(r200!.startLine),
    headers: r200!.headers,
    body: utf8(r200!.body),
    trailers: [],
  };

  it('ex-bini-response: informational responses, indeterminate-length content', () => {
    expect(expectedResponse.informational.map((i) => i.status)).toEqual([102, 103]);
    expect(expectedResponse.body.length).toBe(51);
    const bytes = fromHex(exampleHex('ex-bini-response'));
    const res = decodeResponse(bytes);
    expect(res).toEqual(expectedResponse);
    expect(toHex(encodeResponse(res, { framing: 'indeterminate-length' }))).toBe(toHex(bytes));
  });

  const expectedChunked = {
    informational: [],
    status: statusOf(chunkedText[0]!.startLine),
    headers: chunkedText[0]!.headers, // Transfer-Encoding removed, as RFC 9292 §5 says
    body: utf8(chunkedText[0]!.body),
    trailers: chunkedText[0]!.trailers,
  };

  it('ex-bink-chunked: known-length response with a trailer', () => {
    expect(expectedChunked.trailers).toEqual([['trailer', 'text']]);
    const bytes = fromHex(exampleHex('ex-bink-chunked'));
    const res = decodeResponse(bytes);
    expect(res).toEqual(expectedChunked);
    expect(toHex(encodeResponse(res))).toBe(toHex(bytes));
  });

  it('the streaming encoder reproduces ex-bini-response call by call', () => {
    const { body, trailers, ...head } = expectedResponse;
    const enc = createResponseEncoder(head);
    const out = [enc.head(), enc.chunk(body), enc.end(trailers)];
    expect(toHex(new Uint8Array(out.flatMap((b) => [...b])))).toBe(exampleHex('ex-bini-response'));
  });

  it.each([
    ['ex-bini-response', expectedResponse],
    ['ex-bink-chunked', expectedChunked],
  ])('the streaming decoder reads %s fed one byte at a time', async (anchor, expected) => {
    const bytes = fromHex(exampleHex(anchor));
    const res = await decodeResponseStream(streamOf(bytewise(bytes)));
    const body = await readAll(res.body);
    expect({
      informational: res.informational,
      status: res.status,
      headers: res.headers,
      body,
      trailers: await res.trailers,
    }).toEqual(expected);
  });
});
