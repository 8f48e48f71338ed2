/**
 * Builds a release reproducibly (`npm run release`, DESIGN.md "Releases"): the enclave
 * artefact, a deterministic ustar of the code the enclave runs (enclave/ and protocol/
 * sources, their package manifests and the lockfile that pins every dependency), and
 * the in-toto release statement naming it (protocol release/statement.ts).
 *
 * What could make two builds differ is pinned: no timestamps or owners in the archive
 * (tar.ts), files in byte order of their repository-relative paths, no absolute paths,
 * dependency versions from package-lock.json, the commit passed in. Two builds of one
 * commit in different folders give byte-identical files (e2e/release-reproducible.test.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeReleaseStatement,
  RELEASE_PREDICATE_TYPE,
  type ReleaseEngine,
  type ReleasePredicate,
  type ReleaseStatement,
  type SnpReleaseTcb,
  STATEMENT_TYPE,
  toHex,
} from '@sotto/protocol';
import { measureCodeBundle } from '../../enclave/src/attestation/measurement';
import { builtInEngineIdentity } from '../../enclave/src/inference/engine-identity';
import { ustar } from './tar';

/** What the artefact holds: the code bundle the dev MEASUREMENT covers, and what runs it. */
const CODE_DIRS = ['enclave/src', 'protocol/src', 'protocol/bin'];
const FILES = [
  'package.json',
  'package-lock.json',
  'enclave/package.json',
  'protocol/package.json',
];

export interface ReleaseInputs {
  /** The checkout to build from. */
  root: string;
  /** Where the artefact, statement and checksums go. */
  out: string;
  /** The 40-hex source commit. */
  commit: string;
  sourceRepository?: string;
  model: { path: string; name: string; contextSize: number };
  /** The inference engine (inference/engine-identity.ts); default the built-in one installed here. */
  engine?: ReleaseEngine;
  /** Launch measurements computed for the release image (not by this script). */
  snp?: { measurements: string[]; minimumTcb?: SnpReleaseTcb };
  tdx?: NonNullable<ReleasePredicate['platforms']['tdx']>;
}

async function walk(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...(await walk(root, rel)));
    else if (e.isFile() && !e.name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Builds the release into `inputs.out`; resolves with the file names written. */
export async function buildRelease(
  inputs: ReleaseInputs,
): Promise<{ artefact: string; statement: ReleaseStatement }> {
  if (!/^[0-9a-f]{40}$/.test(inputs.commit))
    throw new Error('the source commit must be 40 lower-case hex digits');
  const pkg = JSON.parse(await readFile(join(inputs.root, 'package.json'), 'utf8')) as {
    version: string;
  };
  const paths = [
    ...FILES,
    ...(await Promise.all(CODE_DIRS.map((d) => walk(inputs.root, d)))).flat(),
  ];
  const files = new Map<string, Uint8Array>();
  for (const p of paths)
    files.set(
      `sotto-enclave-${pkg.version}/${p}`,
      new Uint8Array(await readFile(join(inputs.root, p))),
    );
  const tar = ustar(files);
  const artefact = `sotto-enclave-${pkg.version}.tar`;
  const devMeasurement = toHex(await measureCodeBundle(inputs.root));
  const platforms: ReleasePredicate['platforms'] = { dev: { measurements: [devMeasurement] } };
  if (inputs.snp)
    platforms['sev-snp'] = {
      measurements: inputs.snp.measurements,
      ...(inputs.snp.minimumTcb && { minimumTcb: inputs.snp.minimumTcb }),
    };
  if (inputs.tdx) platforms.tdx = inputs.tdx;
  const statement: ReleaseStatement = {
    _type: STATEMENT_TYPE,
    subject: [
      { name: artefact, digest: { sha256: createHash('sha256').update(tar).digest('hex') } },
    ],
    predicateType: RELEASE_PREDICATE_TYPE,
    predicate: {
      version: pkg.version,
      sourceCommit: inputs.commit,
      ...(inputs.sourceRepository && { sourceRepository: inputs.sourceRepository }),
      enclaveCodeDigest: { sha384: devMeasurement },
      model: {
        name: inputs.model.name,
        sha256: await sha256File(inputs.model.path),
        contextSize: inputs.model.contextSize,
      },
      engine: inputs.engine ?? (await builtInEngineIdentity()),
      platforms,
    },
  };
  const statementBytes = encodeReleaseStatement(statement);
  await mkdir(inputs.out, { recursive: true });
  await writeFile(join(inputs.out, artefact), tar);
  await writeFile(join(inputs.out, 'release.intoto.json'), statementBytes);
  const sums = [
    `${createHash('sha256').update(tar).digest('hex')}  ${artefact}`,
    `${createHash('sha256').update(statementBytes).digest('hex')}  release.intoto.json`,
  ];
  await writeFile(join(inputs.out, 'SHA256SUMS'), `${sums.join('\n')}\n`);
  return { artefact, statement };
}
