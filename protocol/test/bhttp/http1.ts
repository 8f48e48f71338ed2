/**
 * Test helper: a tiny HTTP/1.1 message reader (RFC 9112) for the "http_message"
 * texts of RFC 9292 §5, so the tests compare decoded Binary HTTP against the
 * documented messages rather than against values retyped by hand. Lines in the
 * vectors end in LF; real messages use CRLF (RFC 9112 §2.1), so content gets CRLF.
 */

export interface Http1Message {
  startLine: string;
  headers: [string, string][];
  body: string;
  trailers: [string, string][];
}

function header(line: string): [string, string] {
  const i = line.indexOf(':');
  return [line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()];
}

/** Splits a text of one or more messages (1xx responses first) into messages. */
export function parseHttp1(text: string): Http1Message[] {
  const lines = text.split('\n');
  const out: Http1Message[] = [];
  let i = 0;
  while (i < lines.length && lines[i] !== '') {
    const startLine = lines[i++]!;
    const headers: [string, string][] = [];
    while (lines[i] !== '') headers.push(header(lines[i++]!));
    i++; // blank line
    const msg: Http1Message = { startLine, headers, body: '', trailers: [] };
    out.push(msg);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(startLine);
    if (status && Number(status[1]) < 200) continue;
    const te = headers.find(([n]) => n === 'transfer-encoding');
    const cl = headers.find(([n]) => n === 'content-length');
    if (te) {
      // RFC 9112 §7.1 chunked coding; chunk extensions dropped.
      msg.headers = headers.filter(([n]) => n !== 'transfer-encoding');
      for (;;) {
        const size = Number.parseInt(lines[i++]!.split(';')[0]!, 16);
        if (size === 0) break;
        let chunk = '';
        while (chunk.length < size) chunk += `${lines[i++]!}\r\n`;
        msg.body += chunk.slice(0, size);
      }
      while (lines[i] !== '') msg.trailers.push(header(lines[i++]!));
      i++;
    } else if (cl) {
      while (msg.body.length < Number(cl[1])) msg.body += `${lines[i++]!}\r\n`;
    }
  }
  return out;
}
