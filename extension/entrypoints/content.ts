/**
 * Content script, injected on demand only (`registration: 'runtime'`: no
 * host permission, no manifest entry); see `CONTENT_SCRIPT_FILE` in messaging.ts.
 */
import { defineContentScript } from 'wxt/utils/define-content-script';
import { installPageAgent } from '../src/page/install';

export default defineContentScript({
  registration: 'runtime',
  main() {
    installPageAgent();
  },
});
