/** Test helper: reads RFC 9292 §5 examples from ../shared/vectors by path. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));

interface Example {
  anchor: string;
  title: string;
  hex?: string;
  length?: number;
  http_message?: string;
}

export function bhttpExamples(): Map<string, Example> {
  const json = JSON.parse(readFileSync(`${VECTORS_DIR}bhttp/rfc9292_examples.json`, 'utf8')) as {
    examples: Example[];
  };
  return new Map(json.examples.map((e) => [e.anchor, e]));
}

export function exampleHex(anchor: string): string {
  const e = bhttpExamples().get(anchor);
  if (!e?.hex) throw new Error(`no hex for ${anchor}`);
  return e.hex;
}
