/**
 * The options page's list of development enclaves the user chose to use ("Use this
 * development enclave" in the panel), one per relay URL, with the dev signing key
 * pinned for each; Forget makes the panel ask again (services/dev-trust.ts).
 */

import { useCallback, useEffect, useState } from 'preact/hooks';
import { i18n } from '../i18n';
import { MessageError, type ResponseOf, sendMessage } from '../messaging';
import { errorMessage, shortHash } from './format';

type Entry = ResponseOf<'evidence/dev-list'>[number];

export function DevEnclaves() {
  const [entries, setEntries] = useState<Entry[]>();
  const [problem, setProblem] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      setEntries(await sendMessage('evidence/dev-list'));
    } catch (e) {
      if (!(e instanceof MessageError)) throw e;
      setProblem(errorMessage(e.info));
    }
  }, []);
  useEffect(() => void refresh(), [refresh]);

  const forget = async (relayUrl: string) => {
    try {
      await sendMessage('evidence/dev-forget', { relayUrl });
      setProblem(undefined);
    } catch (e) {
      if (!(e instanceof MessageError)) throw e;
      setProblem(errorMessage(e.info));
    }
    await refresh();
  };

  if (!entries) return null;
  return (
    <div data-testid="dev-enclaves">
      <h3>{i18n.t('dev.title')}</h3>
      {entries.length === 0 ? (
        <p class="muted">{i18n.t('dev.none')}</p>
      ) : (
        <ul>
          {entries.map((e) => (
            <li key={e.relayUrl} data-testid="dev-enclave" data-relay={e.relayUrl}>
              {e.relayUrl}
              {e.accepted ? '' : ` ${i18n.t('dev.pinnedOnly')}`}
              {e.keySha256 && (
                <>
                  {' '}
                  · {i18n.t('dev.key')} <span class="mono">{shortHash(e.keySha256, 16, 8)}</span>
                </>
              )}{' '}
              <button
                type="button"
                data-testid="dev-enclave-forget"
                onClick={() => void forget(e.relayUrl)}
              >
                {i18n.t('dev.forget')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {problem && <p role="status">{problem}</p>}
    </div>
  );
}
