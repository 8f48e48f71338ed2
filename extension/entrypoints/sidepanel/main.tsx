/** Side panel entry: mounts the Preact app with core's passkey functions. */
import { render } from 'preact';
import { browser } from 'wxt/browser';
import { App } from '../../src/components/app';
import '../../src/components/base.css';
import '../../src/components/chat.css';
import { markPageLanguage } from '../../src/i18n';
import { createPasskeyVault, unlockWithPasskey } from '../../src/passkey';

markPageLanguage(document);
const passkey = { create: createPasskeyVault, unlock: unlockWithPasskey };
const root = document.getElementById('root');
if (root) {
  void browser.windows
    .getCurrent()
    .then((w) => w.id)
    .catch(() => undefined)
    .then((windowId) => render(<App passkey={passkey} windowId={windowId} />, root));
}
