/** PDF tabs are known by their address; each refusal says why in words that name no content. */
import { describe, expect, it } from 'vitest';
import { isPdfUrl, PDF_LIMITS, PdfError } from './pdf-limits';

describe('PDF limits', () => {
  it('an http(s) address whose path ends in .pdf is a PDF; its query does not count', () => {
    expect(isPdfUrl('https://x.example/a/Report.PDF')).toBe(true);
    expect(isPdfUrl('http://127.0.0.1:9200/fox.pdf?download=1#page=2')).toBe(true);
    expect(isPdfUrl('https://x.example/view?file=a.pdf')).toBe(false);
    expect(isPdfUrl('file:///home/me/a.pdf')).toBe(false);
    expect(isPdfUrl('chrome-extension://abc/a.pdf')).toBe(false);
    expect(isPdfUrl('not a url.pdf')).toBe(false);
    expect(isPdfUrl(undefined)).toBe(false);
  });

  it('each reason has its own message; the caps name their numbers', () => {
    const reasons = [
      'no-text-layer',
      'too-large',
      'too-many-pages',
      'timeout',
      'encrypted',
      'not-pdf',
      'unreachable',
    ] as const;
    const messages = reasons.map((r) => new PdfError(r).message);
    expect(new Set(messages).size).toBe(reasons.length);
    expect(new PdfError('no-text-layer').message).toMatch(/no text layer/);
    expect(new PdfError('no-text-layer').message).not.toMatch(/no text to summarize/);
    expect(new PdfError('too-large').message).toContain(
      `${PDF_LIMITS.maxBytes / (1024 * 1024)} MB`,
    );
    expect(new PdfError('too-many-pages', { ...PDF_LIMITS, maxPages: 7 }).message).toContain(
      'more than 7 pages',
    );
    const e = new PdfError('timeout');
    expect(e).toBeInstanceOf(Error);
    expect(e.reason).toBe('timeout');
  });
});
