/**
 * The content script's logic: answers channel 3 of `messaging.ts`
 * (`page/ping`, `page/extract`, `page/selection`, `page/insert`) for one
 * document. Keeps captured selections by id so a later Insert replaces
 * exactly what was selected. Acts only on messages from this extension
 * (the caller checks the sender); page content never triggers anything.
 */

import type { ErrorInfo, PageEnvelope, PageReply, PageSelection } from '../messaging';
import { extractPage } from './extract';
import { type CapturedSelection, captureSelection } from './selection';

/** How many captured selections a page keeps (oldest dropped first). */
export const MAX_KEPT_SELECTIONS = 8;

export interface PageAgent {
  handle(message: unknown): PageReply | undefined;
}

const invalid = (message: string): ErrorInfo => ({ code: 'invalid', message, retryable: false });

function isPageEnvelope(m: unknown): m is PageEnvelope {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    (m as { type: string }).type.startsWith('page/')
  );
}

/**
 * Makes the agent for `doc`. `newId` names captured selections (tests may fix it).
 * `handle` returns `undefined` for messages that are not channel 3, so other
 * listeners can answer them; it never throws.
 */
export function createPageAgent(
  doc: Document,
  newId: () => string = () => crypto.randomUUID(),
): PageAgent {
  const kept = new Map<string, CapturedSelection>();
  // Handles already used by a successful Insert, so a second Insert can say so (bounded like `kept`).
  const inserted = new Set<string>();
  return {
    handle(message) {
      if (!isPageEnvelope(message)) return undefined;
      switch (message.type) {
        case 'page/ping':
          return { ok: true, value: { ready: true } };
        case 'page/extract': {
          const max = (message as PageEnvelope<'page/extract'>).maxChars;
          if (max !== undefined && (!Number.isInteger(max) || max <= 0)) {
            return { ok: false, error: invalid('maxChars must be a positive integer.') };
          }
          const page = extractPage(doc, max === undefined ? {} : { maxChars: max });
          return { ok: true, value: { ...page, contentType: doc.contentType } };
        }
        case 'page/selection': {
          const sel = captureSelection(doc);
          if (!sel) return { ok: true, value: null };
          const selectionId = newId();
          kept.set(selectionId, sel);
          while (kept.size > MAX_KEPT_SELECTIONS) {
            const oldest = kept.keys().next().value;
            if (oldest === undefined) break;
            kept.delete(oldest);
          }
          const value: PageSelection = {
            selectionId,
            kind: sel.kind,
            text: sel.text,
            editable: sel.editable,
          };
          return { ok: true, value };
        }
        case 'page/insert': {
          const { selectionId, text } = message as PageEnvelope<'page/insert'>;
          if (typeof selectionId !== 'string' || typeof text !== 'string') {
            return { ok: false, error: invalid('page/insert needs selectionId and text.') };
          }
          if (inserted.has(selectionId))
            return { ok: true, value: { ok: false, reason: 'already-inserted' } };
          const sel = kept.get(selectionId);
          if (!sel) return { ok: true, value: { ok: false, reason: 'unknown-selection' } };
          const result = sel.insert(text);
          if (result.ok) {
            kept.delete(selectionId);
            inserted.add(selectionId);
            while (inserted.size > MAX_KEPT_SELECTIONS) {
              const oldest = inserted.values().next().value;
              if (oldest === undefined) break;
              inserted.delete(oldest);
            }
          }
          return { ok: true, value: result };
        }
        default:
          return { ok: false, error: invalid('Unknown page message.') };
      }
    },
  };
}
