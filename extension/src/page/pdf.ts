/**
 * "Summarize this page privately" on a PDF (issue 15). Chromium's PDF viewer
 * is no page a content script can read, so the side panel fetches the PDF
 * itself (the extension page needs a host permission for its origin: the
 * same site-access request as a page) and reads its text layer with Mozilla's
 * pdf.js, page by page, reporting progress. The result is a {@link PageText},
 * summarized like any page.
 *
 * Why the panel and not an offscreen document: the panel is a full extension
 * page (DOM, `Worker`), it is where the summary starts, and it lives as long
 * as the user waits; the MV3 service worker cannot start pdf.js's worker, and
 * an offscreen document would add a second hop for the same bytes. pdf.js's
 * worker is bundled as an extension file (`?url`), so `script-src 'self'`
 * holds: no remote code, no eval (pdf.js 6 has none), no WebAssembly. Adobe's
 * CMaps (for CJK text in fonts a PDF does not embed) are bundled files too.
 *
 * Every PDF is hostile: its size, page count and the time to read it are
 * capped (`pdf-limits.ts`), and each limit fails with a typed {@link PdfError}.
 * This module holds pdf.js: the panel loads it only when a PDF is read.
 */

import { getDocument, GlobalWorkerOptions, type PDFDocumentProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { browser } from 'wxt/browser';
import type { PageText } from '../messaging';
import { capText, MAX_PAGE_CHARS, normalizeText } from './extract';
import { PDF_LIMITS, PdfError, type PdfLimits, type PdfProgress } from './pdf-limits';

/**
 * Downloads `url`, refusing more than `limits.maxBytes` (by the header, and by
 * counting, since a header can lie) and waiting at most `limits.fetchTimeoutMs`.
 * @throws {PdfError} `too-large`, `timeout`, `unreachable`, `not-pdf` (an HTML page).
 */
export async function fetchPdf(url: string, limits: PdfLimits = PDF_LIMITS): Promise<Uint8Array> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), limits.fetchTimeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        signal: abort.signal,
        credentials: 'include',
        cache: 'force-cache',
      });
    } catch {
      throw new PdfError(abort.signal.aborted ? 'timeout' : 'unreachable', limits);
    }
    if (!res.ok) throw new PdfError('unreachable', limits);
    if (/^text\/html\b/i.test(res.headers.get('content-type') ?? ''))
      throw new PdfError('not-pdf', limits);
    const declared = Number(res.headers.get('content-length') ?? '');
    if (Number.isFinite(declared) && declared > limits.maxBytes)
      throw new PdfError('too-large', limits);
    const reader = res.body?.getReader();
    if (!reader) throw new PdfError('unreachable', limits);
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        throw new PdfError(abort.signal.aborted ? 'timeout' : 'unreachable', limits);
      }
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > limits.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new PdfError('too-large', limits);
      }
      parts.push(chunk.value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.byteLength;
    }
    return bytes;
  } finally {
    clearTimeout(timer);
    // A refused download is not read to its end: close the connection (no-op once done).
    abort.abort();
  }
}

/** One page's text: pdf.js's text items, with its line ends, normalized like page text. */
async function pageText(doc: PDFDocumentProxy, n: number): Promise<string> {
  const page = await doc.getPage(n);
  try {
    const content = await page.getTextContent();
    let out = '';
    for (const item of content.items) {
      if (!('str' in item)) continue;
      out += item.str;
      if (item.hasEOL) out += '\n';
      else if (item.str && !/\s$/.test(item.str)) out += ' ';
    }
    return normalizeText(out);
  } finally {
    page.cleanup();
  }
}

function failure(e: unknown, limits: PdfLimits): PdfError {
  if (e instanceof PdfError) return e;
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'PasswordException') return new PdfError('encrypted', limits);
  return new PdfError('not-pdf', limits);
}

/**
 * The text layer of the PDF in `bytes`, page by page (`onProgress` after each),
 * cut like page text to `maxChars`.
 * @throws {PdfError} `no-text-layer` when no page has text; `too-many-pages`,
 *   `timeout`, `encrypted`, `not-pdf`.
 */
export async function readPdfText(
  bytes: Uint8Array,
  opts: { onProgress?: PdfProgress; limits?: PdfLimits; maxChars?: number } = {},
): Promise<{ pages: number; text: string; truncated: boolean; totalChars: number; title: string }> {
  const limits = opts.limits ?? PDF_LIMITS;
  GlobalWorkerOptions.workerSrc = workerUrl;
  const task = getDocument({
    data: bytes,
    // No WebAssembly (the CSP allows none; pdf.js falls back to its JS decoders).
    useWasm: false,
    useWorkerFetch: false,
    // Adobe's CMaps, bundled (wxt.config.ts `PDF_CMAPS_DIR`): CJK text in fonts not embedded.
    cMapUrl: `${browser.runtime.getURL('/')}pdfjs/cmaps/`,
    cMapPacked: true,
    enableXfa: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PdfError('timeout', limits)), limits.readTimeoutMs);
  });
  const read = async () => {
    const doc = await task.promise;
    const pages = doc.numPages;
    if (pages > limits.maxPages) throw new PdfError('too-many-pages', limits);
    opts.onProgress?.(0, pages);
    const texts: string[] = [];
    for (let n = 1; n <= pages; n++) {
      texts.push(await pageText(doc, n));
      opts.onProgress?.(n, pages);
    }
    const meta = await doc.getMetadata().catch(() => undefined);
    const info = meta?.info as { Title?: unknown } | undefined;
    return { pages, texts, title: typeof info?.Title === 'string' ? info.Title.trim() : '' };
  };
  try {
    const { pages, texts, title } = await Promise.race([read(), deadline]);
    const full = texts.filter((t) => t).join('\n\n');
    if (!full.trim()) throw new PdfError('no-text-layer', limits);
    const capped = capText(full, opts.maxChars ?? MAX_PAGE_CHARS);
    return {
      pages,
      text: capped.text,
      truncated: capped.truncated,
      totalChars: full.length,
      title,
    };
  } catch (e) {
    throw failure(e, limits);
  } finally {
    clearTimeout(timer);
    // Ends pdf.js's worker too, also when a limit stopped the read halfway.
    await task.destroy().catch(() => undefined);
  }
}

/**
 * The PDF at `url` as page text for a summary (`title`: the tab's, when the
 * PDF names none).
 * @throws {PdfError} see {@link fetchPdf} and {@link readPdfText}.
 */
export async function readPdf(
  url: string,
  title: string,
  opts: { onProgress?: PdfProgress; limits?: PdfLimits } = {},
): Promise<PageText & { pages: number }> {
  const bytes = await fetchPdf(url, opts.limits);
  const pdf = await readPdfText(bytes, opts);
  return {
    title: pdf.title || title,
    url,
    text: pdf.text,
    truncated: pdf.truncated,
    totalChars: pdf.totalChars,
    source: 'pdf',
    pages: pdf.pages,
  };
}
