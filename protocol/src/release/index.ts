export * from './errors';
export * from './policy';
export * from './sigstore';
export * from './statement';
export * from './verify-release';
