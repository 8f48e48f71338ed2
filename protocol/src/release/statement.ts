/**
 * The release manifest: an in-toto Statement v1
 * (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md, media type
 * `application/vnd.in-toto+json`) whose subject is the release artefact and whose
 * predicate, of our own versioned type `RELEASE_PREDICATE_TYPE`, says what a genuine
 * launch of that release looks like:
 *
 *   {
 *     "_type": "https://in-toto.io/Statement/v1",
 *     "subject": [{ "name": "sotto-enclave-0.1.0.tgz", "digest": { "sha256": "<64 hex>" } }],
 *     "predicateType": "https://sotto.dev/release/v1",
 *     "predicate": {
 *       "version": "0.1.0",
 *       "sourceCommit": "<40 hex git commit>",
 *       "sourceRepository": "owner/name",          // informational; the signer's identity decides
 *       "enclaveCodeDigest": { "sha384": "<96 hex>" },  // dev MEASUREMENT of the code bundle
 *       "model": { "name": "...", "sha256": "<64 hex>", "contextSize": 4096 },
 *       "engine": { "name": "node-llama-cpp", "version": "3.22.1" },   // the built-in engine, or
 *                 { "name": "vllm", "imageDigest": "sha256:<64 hex>" }  // an OpenAI-compatible server
 *       "platforms": {
 *         "sev-snp": { "measurements": ["<96 hex>"], "minimumTcb": { "bootloader": 0, ... } },
 *         "tdx": { "measurements": [{ "mrtd": "<96 hex>", "rtmr0": ..., "rtmr1": ..., "rtmr2": ... }],
 *                  "allowedTcbStatuses": ["UpToDate"] },
 *         "dev": { "measurements": ["<96 hex>"] }
 *       }
 *     }
 *   }
 *
 * `engine` is what turns the opened prompt into an answer: the built-in llama.cpp
 * binding by its package version, or the OpenAI-compatible server the gateway forwards
 * to inside the same VM (`SOTTO_ENGINE=openai:…`) by its OCI image digest. Statements
 * from before it existed still parse; clients refuse them (evidence/verify-v2.ts), and an
 * enclave refuses to start under a release that names another engine (enclave release.ts).
 *
 * Parsing is strict: unknown predicate versions, missing fields, wrong lengths and
 * oversized lists are refused with the `statement` check.
 */
import { utf8 } from '../bytes';
import { ReleaseRefusedError } from './errors';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const STATEMENT_MEDIA_TYPE = 'application/vnd.in-toto+json';
export const RELEASE_PREDICATE_TYPE = 'https://sotto.dev/release/v1';
/** A release lists a handful of launches per platform; a long list is hostile. */
export const MAX_MEASUREMENTS = 64;

export interface SnpReleaseTcb {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  fmc?: number;
}

export interface TdxReleaseMeasurement {
  mrtd: string;
  rtmr0: string;
  rtmr1: string;
  rtmr2: string;
}

/** The inference engine a release runs; at least one of `version` and `imageDigest`. */
export interface ReleaseEngine {
  /** `node-llama-cpp` for the built-in engine; the server's name otherwise (`vllm`, `sglang`). */
  name: string;
  /** The package version (the built-in engine). */
  version?: string;
  /** The server's OCI image digest, `sha256:<64 hex>`. */
  imageDigest?: string;
}

const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface ReleasePredicate {
  version: string;
  sourceCommit: string;
  sourceRepository?: string;
  enclaveCodeDigest: { sha384: string };
  model: { name: string; sha256: string; contextSize: number };
  engine?: ReleaseEngine;
  platforms: {
    'sev-snp'?: { measurements: string[]; minimumTcb?: SnpReleaseTcb };
    tdx?: { measurements: TdxReleaseMeasurement[]; allowedTcbStatuses: string[] };
    dev?: { measurements: string[] };
  };
}

export interface ReleaseStatement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof RELEASE_PREDICATE_TYPE;
  predicate: ReleasePredicate;
}

const bad = (detail: string): never => {
  throw new ReleaseRefusedError('statement', detail);
};

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string, what: string, max = 256): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    bad(`${what}.${key} is missing or too long`);
  return v as string;
}

function hex(o: Record<string, unknown>, key: string, what: string, bytes: number): string {
  const v = str(o, key, what, bytes * 2);
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v))
    bad(`${what}.${key} is not ${bytes} bytes of lower-case hex`);
  return v;
}

function list<T>(v: unknown, what: string, each: (x: unknown, i: number) => T): T[] {
  if (!Array.isArray(v) || v.length === 0) bad(`${what} is not a non-empty list`);
  const a = v as unknown[];
  if (a.length > MAX_MEASUREMENTS) bad(`${what} has more than ${MAX_MEASUREMENTS} entries`);
  return a.map(each);
}

function uint(o: Record<string, unknown>, key: string, what: string, max = 0xffff_ffff): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    bad(`${what}.${key} is not an integer`);
  return v as number;
}

function parseEngine(v: unknown): ReleaseEngine {
  const e = obj(v, 'predicate.engine');
  const out: ReleaseEngine = { name: str(e, 'name', 'predicate.engine', 128) };
  if (e.version !== undefined) out.version = str(e, 'version', 'predicate.engine', 64);
  if (e.imageDigest !== undefined) {
    const d = str(e, 'imageDigest', 'predicate.engine', 71);
    if (!IMAGE_DIGEST.test(d))
      bad('predicate.engine.imageDigest is not sha256:<64 lower-case hex>');
    out.imageDigest = d;
  }
  if (out.version === undefined && out.imageDigest === undefined)
    bad('predicate.engine names neither a version nor an image digest');
  return out;
}

/** One line for people: `node-llama-cpp 3.22.1`, `vllm sha256:…`. */
export function describeEngine(e: ReleaseEngine): string {
  return [e.name, e.version, e.imageDigest].filter((x) => x !== undefined).join(' ');
}

/** Whether two engine identities are the same engine (every field equal). */
export function sameEngine(a: ReleaseEngine, b: ReleaseEngine): boolean {
  return a.name === b.name && a.version === b.version && a.imageDigest === b.imageDigest;
}

function parsePlatforms(v: unknown): ReleasePredicate['platforms'] {
  const p = obj(v, 'predicate.platforms');
  for (const k of Object.keys(p))
    if (!['sev-snp', 'tdx', 'dev'].includes(k)) bad(`unknown platform ${k.slice(0, 16)}`);
  const out: ReleasePredicate['platforms'] = {};
  if (p['sev-snp'] !== undefined) {
    const s = obj(p['sev-snp'], 'sev-snp');
    const measurements = list(s.measurements, 'sev-snp.measurements', (m) =>
      hex({ m }, 'm', 'sev-snp', 48),
    );
    out['sev-snp'] = { measurements };
    if (s.minimumTcb !== undefined) {
      const t = obj(s.minimumTcb, 'sev-snp.minimumTcb');
      const w = 'sev-snp.minimumTcb';
      const tcb: SnpReleaseTcb = {
        bootloader: uint(t, 'bootloader', w, 255),
        tee: uint(t, 'tee', w, 255),
        snp: uint(t, 'snp', w, 255),
        microcode: uint(t, 'microcode', w, 255),
      };
      if (t.fmc !== undefined) tcb.fmc = uint(t, 'fmc', w, 255);
      out['sev-snp'].minimumTcb = tcb;
    }
  }
  if (p.tdx !== undefined) {
    const t = obj(p.tdx, 'tdx');
    out.tdx = {
      measurements: list(t.measurements, 'tdx.measurements', (m) => {
        const o = obj(m, 'tdx measurement');
        return {
          mrtd: hex(o, 'mrtd', 'tdx', 48),
          rtmr0: hex(o, 'rtmr0', 'tdx', 48),
          rtmr1: hex(o, 'rtmr1', 'tdx', 48),
          rtmr2: hex(o, 'rtmr2', 'tdx', 48),
        };
      }),
      allowedTcbStatuses: list(t.allowedTcbStatuses, 'tdx.allowedTcbStatuses', (s) =>
        str({ s }, 's', 'tdx.allowedTcbStatuses', 64),
      ),
    };
  }
  if (p.dev !== undefined) {
    const d = obj(p.dev, 'dev');
    out.dev = {
      measurements: list(d.measurements, 'dev.measurements', (m) => hex({ m }, 'm', 'dev', 48)),
    };
  }
  if (Object.keys(out).length === 0) bad('the release lists no platform');
  return out;
}

/**
 * Parses and checks a release statement (the DSSE payload bytes or a parsed value).
 * @throws ReleaseRefusedError (`statement`) on anything but a well-formed v1 release.
 */
export function parseReleaseStatement(input: Uint8Array | unknown): ReleaseStatement {
  let value = input;
  if (input instanceof Uint8Array) {
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input));
    } catch (cause) {
      throw new ReleaseRefusedError('statement', 'the statement is not JSON', { cause });
    }
  }
  const s = obj(value, 'statement');
  if (s._type !== STATEMENT_TYPE) bad('not an in-toto Statement v1');
  if (s.predicateType !== RELEASE_PREDICATE_TYPE)
    bad('not a Sotto release predicate (or an unknown version)');
  const subject = list(s.subject, 'subject', (x) => {
    const o = obj(x, 'subject');
    return {
      name: str(o, 'name', 'subject', 256),
      digest: { sha256: hex(obj(o.digest, 'subject.digest'), 'sha256', 'subject.digest', 32) },
    };
  });
  const p = obj(s.predicate, 'predicate');
  const model = obj(p.model, 'predicate.model');
  const predicate: ReleasePredicate = {
    version: str(p, 'version', 'predicate', 64),
    sourceCommit: hex(p, 'sourceCommit', 'predicate', 20),
    enclaveCodeDigest: {
      sha384: hex(obj(p.enclaveCodeDigest, 'enclaveCodeDigest'), 'sha384', 'enclaveCodeDigest', 48),
    },
    model: {
      name: str(model, 'name', 'predicate.model', 256),
      sha256: hex(model, 'sha256', 'predicate.model', 32),
      contextSize: uint(model, 'contextSize', 'predicate.model', 1 << 24),
    },
    ...(p.engine !== undefined && { engine: parseEngine(p.engine) }),
    platforms: parsePlatforms(p.platforms),
  };
  if (p.sourceRepository !== undefined)
    predicate.sourceRepository = str(p, 'sourceRepository', 'predicate', 256);
  return { _type: STATEMENT_TYPE, subject, predicateType: RELEASE_PREDICATE_TYPE, predicate };
}

/** The statement as the DSSE payload: stable key order (as built), no whitespace. */
export function encodeReleaseStatement(statement: ReleaseStatement): Uint8Array {
  return utf8(JSON.stringify(parseReleaseStatement(statement)));
}
