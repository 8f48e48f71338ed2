/** Options page entry: mounts the settings form. */
import { render } from 'preact';
import { i18n, markPageLanguage } from '../../src/i18n';
import { OptionsApp } from './options-app';

const root = document.getElementById('app');
markPageLanguage(document);
document.title = i18n.t('options.pageTitle');
if (root) render(<OptionsApp />, root);
