/**
 * User settings: defaults, validation and merging. Settings hold no secrets and no
 * content (relay URL, development mode, generation knobs, idle-lock time, trusted
 * release measurements), so they are stored in clear in the `settings` table.
 */
import { checkIdentityPolicy, parseTrustedRootJson, SOTTO_RELEASE_IDENTITY } from '@sotto/protocol';
import type { ReleaseSettings, Settings } from '../messaging';
import { ServiceFailure } from './failure';
import type { Said } from '../i18n';

/** Set by the build (wxt.config.ts, `SOTTO_RELAY_URL`); absent in Node tests. */
declare const __SOTTO_DEFAULT_RELAY_URL__: string | undefined;

/** The relay a fresh install talks to (its host permission is in the manifest). */
export const DEFAULT_RELAY_URL: string =
  typeof __SOTTO_DEFAULT_RELAY_URL__ === 'string'
    ? __SOTTO_DEFAULT_RELAY_URL__
    : 'http://127.0.0.1:8787';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  relayUrl: DEFAULT_RELAY_URL,
  developmentMode: false,
  generation: Object.freeze({ maxTokens: 512, temperature: 0.7 }),
  idleLockMinutes: 15,
  allowedMeasurements: Object.freeze([]) as unknown as string[],
  release: Object.freeze({
    ...SOTTO_RELEASE_IDENTITY,
    trustedRoot: '',
    managedKeys: Object.freeze([]) as unknown as string[],
  }),
});

export const MAX_MANAGED_KEYS = 8;
const PEM_PUBLIC_KEY =
  /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]{40,2000}\n-----END PUBLIC KEY-----\n?$/;

function mergeRelease(current: ReleaseSettings, patch: Partial<ReleaseSettings>): ReleaseSettings {
  const next = { ...current, managedKeys: [...current.managedKeys] };
  for (const k of ['issuer', 'repository', 'workflow', 'tagPrefix'] as const) {
    if (patch[k] !== undefined) next[k] = String(patch[k]).trim();
  }
  try {
    checkIdentityPolicy(next);
  } catch (e) {
    throw invalid(`Release identity: ${(e as Error).message}.`, {
      messageKey: 'settings.releaseIdentity',
      messageArgs: { detail: (e as Error).message },
    });
  }
  if (patch.trustedRoot !== undefined) {
    const text = String(patch.trustedRoot).trim();
    if (text !== '') {
      try {
        parseTrustedRootJson(text);
      } catch {
        throw invalid('The trusted root must be a Sigstore trusted_root.json.', {
          messageKey: 'settings.trustedRoot',
        });
      }
    }
    next.trustedRoot = text;
  }
  if (patch.managedKeys !== undefined) {
    const keys = patch.managedKeys;
    if (!Array.isArray(keys) || keys.length > MAX_MANAGED_KEYS) {
      throw invalid(`Release keys must be a list of at most ${MAX_MANAGED_KEYS}.`, {
        messageKey: 'settings.keysList',
        messageArgs: { max: String(MAX_MANAGED_KEYS) },
      });
    }
    const pems = keys.map((k) => `${String(k).trim().replace(/\r\n/g, '\n')}\n`);
    if (!pems.every((k) => PEM_PUBLIC_KEY.test(k))) {
      throw invalid('Each release key must be a PEM public key (-----BEGIN PUBLIC KEY-----).', {
        messageKey: 'settings.keyPem',
      });
    }
    next.managedKeys = [...new Set(pems)];
  }
  return next;
}

/** SEV-SNP and TDX measurements are 48 bytes (SHA-384), written as 96 hex digits. */
const MEASUREMENT_HEX = /^[0-9a-f]{96}$/;
export const MAX_ALLOWED_MEASUREMENTS = 64;

export const MAX_TOKENS_LIMIT = 8192;
export const MAX_IDLE_LOCK_MINUTES = 24 * 60;

/** `said`: the locale key (and its `{name}` values) the pages show instead of `message`. */
function invalid(message: string, said: Said): ServiceFailure {
  return new ServiceFailure({ code: 'invalid', message, retryable: false, ...said });
}

/**
 * Normalises a relay URL to its `http(s)://host[:port][/path]` form without a trailing slash.
 * @throws {ServiceFailure} `invalid` for anything but an http(s) URL without credentials.
 */
export function normaliseRelayUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw invalid('The relay URL is not a valid URL.', { messageKey: 'settings.relayInvalid' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('The relay URL must start with http:// or https://.', {
      messageKey: 'settings.relayScheme',
    });
  }
  if (url.username || url.password) {
    throw invalid('The relay URL must not contain credentials.', {
      messageKey: 'settings.relayCredentials',
    });
  }
  if (url.search || url.hash) {
    throw invalid('The relay URL must not have a query or fragment.', {
      messageKey: 'settings.relayQuery',
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Applies a partial update to `current`, checking every field.
 * @throws {ServiceFailure} `invalid` naming the first bad field.
 */
export function mergeSettings(current: Settings, patch: Partial<Settings>): Settings {
  const next: Settings = {
    ...current,
    generation: { ...current.generation },
    allowedMeasurements: [...current.allowedMeasurements],
    release: { ...current.release, managedKeys: [...current.release.managedKeys] },
  };
  if (patch.relayUrl !== undefined) next.relayUrl = normaliseRelayUrl(String(patch.relayUrl));
  if (patch.developmentMode !== undefined) {
    if (typeof patch.developmentMode !== 'boolean')
      throw invalid('Development mode must be on or off.', { messageKey: 'settings.devMode' });
    next.developmentMode = patch.developmentMode;
  }
  if (patch.generation !== undefined) {
    const g = patch.generation as Partial<Settings['generation']>;
    if (g.maxTokens !== undefined) {
      if (!Number.isInteger(g.maxTokens) || g.maxTokens < 1 || g.maxTokens > MAX_TOKENS_LIMIT) {
        throw invalid(`Max tokens must be a whole number from 1 to ${MAX_TOKENS_LIMIT}.`, {
          messageKey: 'settings.maxTokens',
          messageArgs: { max: String(MAX_TOKENS_LIMIT) },
        });
      }
      next.generation.maxTokens = g.maxTokens;
    }
    if (g.temperature !== undefined) {
      if (typeof g.temperature !== 'number' || !(g.temperature >= 0 && g.temperature <= 2)) {
        throw invalid('Temperature must be between 0 and 2.', {
          messageKey: 'settings.temperature',
        });
      }
      next.generation.temperature = g.temperature;
    }
  }
  if (patch.idleLockMinutes !== undefined) {
    const m = patch.idleLockMinutes;
    if (!Number.isInteger(m) || m < 0 || m > MAX_IDLE_LOCK_MINUTES) {
      throw invalid(
        `Idle lock must be a whole number of minutes from 0 to ${MAX_IDLE_LOCK_MINUTES}.`,
        { messageKey: 'settings.idleLock', messageArgs: { max: String(MAX_IDLE_LOCK_MINUTES) } },
      );
    }
    next.idleLockMinutes = m;
  }
  if (patch.allowedMeasurements !== undefined) {
    const list = patch.allowedMeasurements;
    if (!Array.isArray(list) || list.length > MAX_ALLOWED_MEASUREMENTS) {
      throw invalid(`Allowed measurements must be a list of at most ${MAX_ALLOWED_MEASUREMENTS}.`, {
        messageKey: 'settings.measurementsList',
        messageArgs: { max: String(MAX_ALLOWED_MEASUREMENTS) },
      });
    }
    const normalised = list.map((m) => String(m).trim().toLowerCase());
    if (!normalised.every((m) => MEASUREMENT_HEX.test(m))) {
      throw invalid('Each allowed measurement must be 96 hexadecimal digits (SHA-384).', {
        messageKey: 'settings.measurementHex',
      });
    }
    next.allowedMeasurements = [...new Set(normalised)];
  }
  if (patch.release !== undefined) {
    if (typeof patch.release !== 'object' || patch.release === null) {
      throw invalid('Release settings must be an object.', {
        messageKey: 'settings.releaseObject',
      });
    }
    next.release = mergeRelease(next.release, patch.release);
  }
  return next;
}

/** Settings read from storage, repaired field by field (a bad stored value falls back to its default). */
export function settingsFromStorage(stored: unknown): Settings {
  let out: Settings = {
    ...DEFAULT_SETTINGS,
    generation: { ...DEFAULT_SETTINGS.generation },
    allowedMeasurements: [],
    release: { ...DEFAULT_SETTINGS.release, managedKeys: [] },
  };
  if (typeof stored !== 'object' || stored === null) return out;
  const s = stored as Partial<Settings>;
  for (const patch of [
    { relayUrl: s.relayUrl },
    { developmentMode: s.developmentMode },
    { generation: { maxTokens: s.generation?.maxTokens } },
    { generation: { temperature: s.generation?.temperature } },
    { idleLockMinutes: s.idleLockMinutes },
    { allowedMeasurements: s.allowedMeasurements },
    { release: s.release },
  ] as Partial<Settings>[]) {
    try {
      out = mergeSettings(out, patch);
    } catch {
      // keep the default for this field
    }
  }
  return out;
}
