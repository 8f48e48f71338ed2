/**
 * "Rewrite selection privately" (issue 5 item 4): captures what the user
 * selected and where it lives — a `textarea`/text `input` (selectionStart/End)
 * or a `contenteditable` region (a Range) — and later replaces exactly that
 * selection with the rewrite, firing `input` so page frameworks notice.
 * Runs in the content script; only ever acts on a user's Insert click.
 */

export type SelectionKind = 'textarea' | 'input' | 'contenteditable' | 'text';

export interface CapturedSelection {
  readonly kind: SelectionKind;
  readonly text: string;
  /** Whether {@link CapturedSelection.insert} can work (false for plain page text). */
  readonly editable: boolean;
  /** Replaces the original selection with `text`. */
  insert(text: string, opts?: InsertOptions): InsertResult;
}

export interface InsertOptions {
  /** Use `document.execCommand('insertText')` first for contenteditable (keeps undo; editors see it). Default true. */
  execCommand?: boolean;
}

/**
 * `gone`: the field left the page; `changed`: the selected text was edited
 * since (and does not occur exactly once, so its place is unknown);
 * `read-only`: nothing editable was selected.
 */
export type InsertResult = { ok: true } | { ok: false; reason: 'gone' | 'changed' | 'read-only' };

/** Input types whose value is text that `setRangeText` can edit. */
const TEXT_INPUT_TYPES = new Set(['text', 'search', 'url', 'tel', 'email', '']);

function fireInput(target: EventTarget, data: string) {
  target.dispatchEvent(
    new InputEvent('input', {
      bubbles: true,
      composed: true,
      inputType: 'insertReplacementText',
      data,
    }),
  );
}

/** The focused element, looking through open shadow roots. */
function deepActiveElement(doc: Document): Element | null {
  let el = doc.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el;
}

function captureField(el: HTMLTextAreaElement | HTMLInputElement): CapturedSelection | null {
  const start = el.selectionStart;
  const end = el.selectionEnd;
  if (start === null || end === null || start === end) return null;
  const original = el.value.slice(start, end);
  const kind = el instanceof HTMLTextAreaElement ? 'textarea' : 'input';
  const editable = !el.readOnly && !el.disabled;
  return {
    kind,
    text: original,
    editable,
    insert(text) {
      if (!editable) return { ok: false, reason: 'read-only' };
      if (!el.isConnected) return { ok: false, reason: 'gone' };
      let from = start;
      if (el.value.slice(start, end) !== original) {
        // The field changed; replace the original text only if its place is unambiguous.
        const at = el.value.indexOf(original);
        if (at < 0 || el.value.indexOf(original, at + 1) >= 0)
          return { ok: false, reason: 'changed' };
        from = at;
      }
      el.focus({ preventScroll: true });
      el.setRangeText(text, from, from + original.length, 'end');
      fireInput(el, text);
      el.dispatchEvent(new Event('change', { bubbles: true }));
      return { ok: true };
    },
  };
}

function nodeLength(node: Node): number {
  return node.nodeType === 3 || node.nodeType === 8
    ? (node.nodeValue ?? '').length
    : node.childNodes.length;
}

function editableHost(node: Node | null): HTMLElement | null {
  const el = node && (node.nodeType === 1 ? (node as Element) : node.parentElement);
  if (!(el instanceof HTMLElement) || !el.isContentEditable) return null;
  // The outermost editable ancestor is the one that receives focus and input events.
  let host: HTMLElement = el;
  while (host.parentElement?.isContentEditable) host = host.parentElement;
  return host;
}

function captureRange(doc: Document): CapturedSelection | null {
  const sel = doc.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0).cloneRange();
  const original = range.toString();
  if (!original.trim()) return null;
  const host = editableHost(range.commonAncestorContainer);
  if (!host) {
    return {
      kind: 'text',
      text: original,
      editable: false,
      insert: () => ({ ok: false, reason: 'read-only' }),
    };
  }
  return {
    kind: 'contenteditable',
    text: original,
    editable: true,
    insert(text, opts = {}) {
      if (!host.isConnected || !range.startContainer.isConnected)
        return { ok: false, reason: 'gone' };
      if (range.toString() !== original) return { ok: false, reason: 'changed' };
      host.focus({ preventScroll: true });
      const live = doc.getSelection();
      live?.removeAllRanges();
      live?.addRange(range);
      if (opts.execCommand !== false && doc.execCommand('insertText', false, text)) {
        // The browser fired beforeinput/input itself and recorded an undo step.
        return { ok: true };
      }
      // deleteContents across blocks collapses the range between them; insert
      // where the selection started instead (that node keeps its head).
      const startNode = range.startContainer;
      const startOffset = range.startOffset;
      range.deleteContents();
      if (startNode.isConnected)
        range.setStart(startNode, Math.min(startOffset, nodeLength(startNode)));
      range.collapse(true);
      const node = doc.createTextNode(text);
      range.insertNode(node);
      range.setStartAfter(node);
      range.collapse(true);
      live?.removeAllRanges();
      live?.addRange(range);
      fireInput(host, text);
      return { ok: true };
    },
  };
}

/**
 * Captures the current selection of `doc`: a text field's selection when one
 * is focused, else the document selection. Returns `null` when nothing is
 * selected. Throws nothing.
 */
export function captureSelection(doc: Document): CapturedSelection | null {
  const active = deepActiveElement(doc);
  if (active instanceof HTMLTextAreaElement) return captureField(active);
  if (active instanceof HTMLInputElement && TEXT_INPUT_TYPES.has(active.type)) {
    return captureField(active);
  }
  return captureRange(doc);
}
