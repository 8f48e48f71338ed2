export * from './bundle';
export * from './dev-report';
export * from './report-data';
export * from './verify';
