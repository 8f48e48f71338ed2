/** Sotto protocol core: browser-safe, no `node:` imports. The CLI lives in `cli/` and is Node-only. */
export * from './bytes';
export * from './errors';
export * from './evidence';
export * from './bhttp';
export * from './hpke';
export * from './ohttp';
export * from './quic-varint';
