/**
 * Turns a chat (OpenAI messages) into the model's prompt tokens.
 *
 * - When the GGUF carries a chat template (`tokenizer.chat_template`), node-llama-cpp's
 *   `resolveChatWrapper` renders it (a specialised wrapper where one matches the template, else
 *   the Jinja template itself), and its stop triggers end generation.
 * - When it has none (base models such as the test model stories260K), the plain fallback: the
 *   prompt is one document, the system messages joined by a blank line ("\n\n"), then a blank
 *   line, then the user and assistant turns concatenated exactly as given, with nothing added.
 *   A single user message "Once upon a time" is therefore the raw text "Once upon a time" and
 *   the model continues it; a follow-up turn [user, assistant, user] is the first text, the
 *   model's continuation and the new text, so it shares its prefix with the cached tokens of the
 *   previous turn. Callers who want a separator put it in the content.
 *
 * Message text is always tokenized as plain text, never as special tokens, so a message cannot
 * forge template control tokens.
 */
import {
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaModel,
  LlamaVocabularyType,
  resolveChatWrapper,
  type Token,
} from 'node-llama-cpp';
import type { NormalizedRequest } from './request';

export interface PreparedPrompt {
  tokens: Token[];
  /** Text that ends generation when it appears in the output (it is not emitted). */
  stopTexts: string[];
  /** Single tokens that end generation, besides the model's end-of-generation tokens. */
  stopTokens: Set<Token>;
}

export type PromptFormat = 'gguf-chat-template' | 'plain';

export interface PromptBuilder {
  readonly format: PromptFormat;
  build(messages: NormalizedRequest['messages']): PreparedPrompt;
}

/** Chooses the model's own chat template when its GGUF has one, else the plain fallback. */
export function createPromptBuilder(model: LlamaModel): PromptBuilder {
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  if (typeof template === 'string' && template.trim() !== '') {
    const wrapper = resolveChatWrapper(model);
    return {
      format: 'gguf-chat-template',
      build: (messages) => buildTemplated(model, wrapper, messages),
    };
  }
  return { format: 'plain', build: (messages) => buildPlain(model, messages) };
}

/** The plain-text rendering of the fallback (see the file header). */
export function plainPromptText(messages: NormalizedRequest['messages']): string {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns = messages
    .filter((m) => m.role !== 'system')
    .map((m) => m.content)
    .join('');
  if (system.length === 0) return turns;
  return turns === '' ? system.join('\n\n') : `${system.join('\n\n')}\n\n${turns}`;
}

function buildPlain(model: LlamaModel, messages: NormalizedRequest['messages']): PreparedPrompt {
  const begin = beginningToken(model);
  const tokens = [...(begin === null ? [] : [begin]), ...model.tokenize(plainPromptText(messages))];
  return { tokens, stopTexts: [], stopTokens: new Set() };
}

function buildTemplated(
  model: LlamaModel,
  wrapper: ChatWrapper,
  messages: NormalizedRequest['messages'],
): PreparedPrompt {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'system'
      ? { type: 'system', text: m.content }
      : m.role === 'user'
        ? { type: 'user', text: m.content }
        : { type: 'model', response: [m.content] },
  );
  // The model answers in an open model turn; a trailing assistant message is continued.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  const state = wrapper.generateContextState({ chatHistory: history });
  const tokens = state.contextText.tokenize(model.tokenizer);
  const stopTexts: string[] = [];
  const stopTokens = new Set<Token>();
  for (const trigger of state.stopGenerationTriggers) {
    const triggerTokens = trigger.tokenize(model.tokenizer);
    const only = triggerTokens.length === 1 ? triggerTokens[0] : undefined;
    if (only !== undefined && model.isSpecialToken(only)) stopTokens.add(only);
    else {
      const text = model.detokenize(triggerTokens, false);
      if (text !== '') stopTexts.push(text);
    }
  }
  return { tokens, stopTexts, stopTokens };
}

/**
 * The token llama.cpp itself puts before a text (`llama_tokenize_internal` in llama-vocab.cpp,
 * as node-llama-cpp's `resolveBeginningTokenToPrepend` mirrors it), or null.
 */
function beginningToken(model: LlamaModel): Token | null {
  switch (model.vocabularyType) {
    case LlamaVocabularyType.rwkv:
    case LlamaVocabularyType.ugm:
      return null;
    case LlamaVocabularyType.wpm:
      return model.tokens.bos;
    default:
      return model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  }
}
