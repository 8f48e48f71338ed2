/**
 * The text of the page the user asked about, wherever it comes from: the content
 * script (`page/extract`), or pdf.js in this extension page when the tab shows a
 * PDF (`pdf.ts`), which the content script cannot read. Runs in the side panel.
 */

import { browser } from 'wxt/browser';
import { formatNumber, i18n } from '../i18n';
import type { PageText } from '../messaging';
import { PageAccessError, sendPageMessage, type TabRef } from './client';
import { isPdfUrl, PdfError } from './pdf-limits';

function originOf(url: string | undefined): string | undefined {
  try {
    const u = new URL(url ?? '');
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the PDF `tab` shows with pdf.js. The panel fetches it, which needs a host
 * permission for its origin: without one this is the same `no-access` as a page.
 */
async function readPdfTab(tab: TabRef, progress: (text: string) => void): Promise<PageText> {
  const origin = originOf(tab.url);
  if (!origin || !tab.url) throw new PageAccessError('restricted');
  const granted = await browser.permissions
    .contains({ origins: [`${origin}/*`] })
    .catch(() => false);
  if (!granted) throw new PageAccessError('no-access', origin);
  progress(i18n.t('pdf.reading'));
  // pdf.js (and its worker) load only now, not with every panel.
  const { readPdf } = await import('./pdf');
  return readPdf(tab.url, tab.title ?? '', {
    onProgress: (n, pages) =>
      progress(
        n === 0
          ? i18n.t('pdf.readingPages', { pages: formatNumber(pages) })
          : i18n.t('pdf.readingPage', { page: formatNumber(n), pages: formatNumber(pages) }),
      ),
  });
}

/**
 * The text of the page in `tab`: through the content script, or with pdf.js when
 * the tab shows a PDF (by its address, by the document's type, or because the
 * browser's viewer refused the script).
 */
export async function readTab(tab: TabRef, progress: (text: string) => void): Promise<PageText> {
  if (isPdfUrl(tab.url)) return readPdfTab(tab, progress);
  let page: PageText;
  try {
    page = await sendPageMessage(tab, 'page/extract', {});
  } catch (e) {
    if (!(e instanceof PageAccessError) || e.reason !== 'restricted' || !originOf(tab.url)) throw e;
    try {
      return await readPdfTab(tab, progress);
    } catch (pdf) {
      // Only a PDF's own refusal is news; otherwise the page is one the browser keeps to itself
      // (and no site access is offered for it).
      throw pdf instanceof PdfError && pdf.reason !== 'not-pdf' ? pdf : e;
    }
  }
  if (page.contentType === 'application/pdf')
    return readPdfTab({ ...tab, url: page.url }, progress);
  return page;
}
