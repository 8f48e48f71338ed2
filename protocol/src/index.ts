/** Sotto protocol core: browser-safe, no `node:` imports. The CLI lives in `cli/` and is Node-only. */

export * from './attest/sev';
export * from './attest/tdx';
export * from './bhttp';
export * from './bytes';
export * from './client';
export * from './errors';
export * from './evidence';
export * from './hpke';
export * from './ohttp';
export * from './quic-varint';
export * from './release';
export * from './sealed';
export * from './sync';
