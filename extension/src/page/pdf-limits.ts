/**
 * What one PDF may cost, and the typed refusal when it costs more (or has no
 * text): apart from `pdf.ts` so the panel can know these without loading pdf.js.
 * Refusals name their locale key (`said`) and keep English beside it, as code
 * that Node tests run does (src/i18n.ts).
 */

import type { MessageKey, Said } from '../i18n';

/** Limits on what one PDF may cost. */
export interface PdfLimits {
  /** Largest PDF fetched, in bytes. */
  maxBytes: number;
  /** Most pages read. */
  maxPages: number;
  /** Longest wait for the download. */
  fetchTimeoutMs: number;
  /** Longest wait for pdf.js to read every page. */
  readTimeoutMs: number;
}

export const PDF_LIMITS: PdfLimits = {
  maxBytes: 32 * 1024 * 1024,
  maxPages: 500,
  fetchTimeoutMs: 30_000,
  readTimeoutMs: 120_000,
};

export type PdfErrorReason =
  | 'no-text-layer'
  | 'too-large'
  | 'too-many-pages'
  | 'timeout'
  | 'encrypted'
  | 'not-pdf'
  | 'unreachable';

const MESSAGES: Record<Exclude<PdfErrorReason, 'too-large' | 'too-many-pages'>, string> = {
  'no-text-layer':
    'This PDF has no text layer: its pages are images (a scan, for example). Sotto reads only text, so it cannot summarize this PDF.',
  timeout: 'Reading this PDF took too long, so Sotto stopped.',
  encrypted: 'This PDF is protected by a password; Sotto cannot read it.',
  'not-pdf': 'This file is not a PDF Sotto can read (it is damaged or not a PDF).',
  unreachable: 'Sotto could not download this PDF. Check the connection and try again.',
};

const KEYS: Record<keyof typeof MESSAGES, MessageKey> = {
  'no-text-layer': 'pdf.noTextLayer',
  timeout: 'pdf.timeout',
  encrypted: 'pdf.encrypted',
  'not-pdf': 'pdf.notPdf',
  unreachable: 'pdf.unreachable',
};

/** A PDF Sotto will not or cannot read. The message is for the user and names no content. */
export class PdfError extends Error {
  readonly reason: PdfErrorReason;
  /** The message's locale key (and values), for the panel to say it in the UI's language. */
  readonly said: Said;
  constructor(reason: PdfErrorReason, limits: PdfLimits = PDF_LIMITS) {
    const mb = String(Math.round(limits.maxBytes / (1024 * 1024)));
    const pages = String(limits.maxPages);
    super(
      reason === 'too-large'
        ? `This PDF is larger than ${mb} MB; Sotto does not read PDFs that big.`
        : reason === 'too-many-pages'
          ? `This PDF has more than ${pages} pages; Sotto does not read PDFs that long.`
          : MESSAGES[reason],
    );
    this.name = 'PdfError';
    this.reason = reason;
    this.said =
      reason === 'too-large'
        ? { messageKey: 'pdf.tooLarge', messageArgs: { mb } }
        : reason === 'too-many-pages'
          ? { messageKey: 'pdf.tooManyPages', messageArgs: { pages } }
          : { messageKey: KEYS[reason] };
  }
}

/** Reading progress: `page` of `pages` done (0 before the first). */
export type PdfProgress = (page: number, pages: number) => void;

/** Whether `url` names a PDF by its path (the viewer tab's URL is the PDF's own). */
export function isPdfUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && /\.pdf$/i.test(u.pathname);
  } catch {
    return false;
  }
}
