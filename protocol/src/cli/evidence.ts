/** `sotto evidence`: fetch, verify and summarise the evidence the relay passes on. */
import { parseArgs } from 'node:util';
import { fetchAttestedKey, isPostQuantumKem, keyConfigFingerprint, kemName } from '../index';
import { EXIT } from './exit-codes';
import { describeFailure, policyFromFlags, relayFromFlags } from './shared';
import type { CliIo } from './verify-snp';

export const EVIDENCE_USAGE = `Usage: sotto evidence [--relay URL] [--allow-dev] [--measurement HEX]... [--json]

Fetches the enclave's evidence through the relay, verifies it (the release bundle under
the release policy, the report, its binding, the measurement, the model and the key age),
and prints what it proves. --measurement is the expert override: the typed list, not the
verified release, then decides. Release policy: SOTTO_RELEASE_REPOSITORY,
SOTTO_RELEASE_TAG_PREFIX, SOTTO_TRUSTED_ROOT, SOTTO_RELEASE_KEYS (see README).
`;

export async function runEvidence(argv: readonly string[], io: CliIo): Promise<number> {
  let values: {
    relay?: string;
    'allow-dev'?: boolean;
    measurement?: string[];
    json?: boolean;
    help?: boolean;
  };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        relay: { type: 'string' },
        'allow-dev': { type: 'boolean' },
        measurement: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    io.err(`sotto evidence: ${(e as Error).message}\n\n${EVIDENCE_USAGE}`);
    return EXIT.usage;
  }
  if (values.help) {
    io.out(EVIDENCE_USAGE);
    return EXIT.ok;
  }
  try {
    const { evidence, keyConfig, keyConfigs } = await fetchAttestedKey(
      relayFromFlags(values.relay),
      policyFromFlags(values),
    );
    const ageSeconds = Math.max(
      0,
      Math.round((Date.now() - evidence.keyCreatedAt.getTime()) / 1000),
    );
    const summary = {
      platform: evidence.platform,
      development: evidence.development,
      measurement: evidence.measurement,
      model: evidence.model.name,
      modelSha256: evidence.model.sha256,
      release: evidence.releaseId,
      ...('release' in evidence && evidence.release && { releaseDetails: evidence.release }),
      override: 'override' in evidence && evidence.override,
      keyId: keyConfig.keyId,
      keyFingerprint: keyConfigFingerprint(keyConfig),
      keyAgeSeconds: ageSeconds,
      /** The KEM this client seals with: the best the bound list offers. */
      sealsWith: kemName(keyConfig.kemId),
      /** Every key of the bound `application/ohttp-keys` list, in its order. */
      keys: keyConfigs.map((c) => ({
        keyId: c.keyId,
        kemId: c.kemId,
        kem: kemName(c.kemId),
        postQuantum: isPostQuantumKem(c.kemId),
        fingerprint: keyConfigFingerprint(c),
      })),
    };
    if (values.json) {
      io.out(`${JSON.stringify(summary)}\n`);
    } else {
      io.out(
        [
          `platform     ${summary.platform}${summary.development ? '  (DEVELOPMENT: no hardware proof)' : ''}`,
          `measurement  ${summary.measurement}`,
          `model        ${summary.model}`,
          `model sha256 ${summary.modelSha256}`,
          `release      ${summary.release}${summary.override ? '  (EXPERT OVERRIDE: your measurement list decided)' : ''}`,
          ...(summary.releaseDetails
            ? [
                `  signed by  ${summary.releaseDetails.repository ?? 'a configured key'}${summary.releaseDetails.tag ? ` @ ${summary.releaseDetails.tag}` : ''}`,
                `  log        ${summary.releaseDetails.logIndex !== undefined ? `Sigstore index ${summary.releaseDetails.logIndex}, ${summary.releaseDetails.integratedTime ?? ''}` : 'not logged'}`,
              ]
            : []),
          ...summary.keys.map(
            (k, i) =>
              `${i === 0 ? 'keys        ' : '            '} id ${k.keyId}, ${k.kem} (KEM 0x${k.kemId.toString(16).padStart(4, '0')}), ${k.fingerprint.slice(0, 16)}…${k.keyId === summary.keyId ? '  ← seals with this' : ''}`,
          ),
          `key age      ${ageSeconds} s`,
          `post-quantum ${summary.sealsWith === 'X-Wing' ? 'yes: X-Wing (ML-KEM-768 + X25519)' : 'NO: X25519 only'}`,
          '',
        ].join('\n'),
      );
    }
    return EXIT.ok;
  } catch (e) {
    const { message, exit } = describeFailure(e);
    io.err(`sotto: ${message}\n`);
    return exit;
  }
}
