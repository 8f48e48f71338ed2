/**
 * A translated sentence with an element inside it (a code in bold, a key in mono):
 * the message gives the element's place as a `{name}` value, so word order stays
 * the translator's. Pass {@link SLOT} for that value, then the text to `interleave`.
 */
import type { ComponentChildren } from 'preact';

/** Stands for the element in the message text; no message or user text contains it. */
export const SLOT = '\u0000';

export function interleave(text: string, node: ComponentChildren): ComponentChildren {
  const at = text.indexOf(SLOT);
  if (at < 0) return text;
  return (
    <>
      {text.slice(0, at)}
      {node}
      {text.slice(at + SLOT.length).replaceAll(SLOT, '')}
    </>
  );
}
