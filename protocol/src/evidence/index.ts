export * from './bundle';
export * from './dev-report';
export * from './report-data';
export * from './verify';
export * from './bundle-v2';
export * from './report-data-v2';
export * from './verify-v2';
export * from './collateral';
