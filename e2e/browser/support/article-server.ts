/**
 * A small web server on 127.0.0.1 for the pages the suite reads and edits: an
 * article to summarize, a page with a `textarea` and a `contenteditable` to
 * rewrite in, and an image that no page should ever fetch (flow 9's "remote"
 * host). Every page carries the run's privacy canary. Requests are recorded.
 */
import { createServer, type Server } from 'node:http';

export interface ArticleServer {
  url: string;
  /** `/article`: title and article text, both with the canary. */
  articleUrl: string;
  /** `/editor`: `#draft` (textarea) and `#note` (contenteditable). */
  editorUrl: string;
  /** Paths requested so far, in order. */
  requests(): string[];
  close(): Promise<void>;
}

/** The article's text, short enough for the test model's 512-token context with the prompt. */
export function articleText(canary: string): string {
  return `The garden behind the old mill grows tomatoes, beans and sunflowers. ${canary} Every spring the children plant new seeds and water them each morning.`;
}

export const TEXTAREA_TEXT = (canary: string) => `the dog run fast to home ${canary}`;
export const EDITABLE_TEXT = (canary: string) => `the cat sleep on mat ${canary}`;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function startArticleServer(canary: string): Promise<ArticleServer> {
  const seen: string[] = [];
  const pages: Record<string, string> = {
    '/article': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Garden notes ${canary}</title></head>
<body><header><nav>Home</nav></header><main><article><h1>The mill garden</h1>
<p>${escapeHtml(articleText(canary))}</p></article></main></body></html>`,
    '/editor': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Editor</title></head>
<body><h1>Draft</h1><textarea id="draft" rows="4" cols="60">${escapeHtml(TEXTAREA_TEXT(canary))}</textarea>
<div id="note" contenteditable="true">${escapeHtml(EDITABLE_TEXT(canary))}</div></body></html>`,
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    seen.push(path);
    const page = pages[path];
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    articleUrl: `${url}/article`,
    editorUrl: `${url}/editor`,
    requests: () => [...seen],
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
