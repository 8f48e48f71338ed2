/** The Translate submenu: the browser's language first, each language once, ids the click handler knows. */
import { describe, expect, it, vi } from 'vitest';

// Menu titles come from the locale files: English, through chrome.i18n, bound before imports.
await vi.hoisted(async () => {
  const { installChromeI18n } = await import('../../test/support/locale-messages');
  installChromeI18n('en');
});

import { TRANSLATE_LANGUAGES } from '../page/prompts';
import { MENU_TRANSLATE, translateTargets } from './menus';

describe('translate menu targets', () => {
  it('offers the browser language first and does not repeat it', () => {
    const targets = translateTargets('de-AT');
    expect(targets[0]).toEqual({ id: `${MENU_TRANSLATE}:ui`, title: 'Into German' });
    expect(targets.filter((t) => t.title === 'Into German')).toHaveLength(1);
    expect(targets).toHaveLength(TRANSLATE_LANGUAGES.length);
    expect(targets.map((t) => t.id)).toContain(`${MENU_TRANSLATE}:en`);
    expect(targets.map((t) => t.id)).not.toContain(`${MENU_TRANSLATE}:de`);
  });

  it('a browser language not in the list is still first, and every listed one follows', () => {
    const targets = translateTargets('sv-SE');
    expect(targets[0]!.title).toBe('Into Swedish');
    expect(targets).toHaveLength(TRANSLATE_LANGUAGES.length + 1);
  });
});
