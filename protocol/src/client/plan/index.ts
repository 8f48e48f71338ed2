export * from './budget';
export * from './estimate';
export * from './fold';
export * from './map-reduce';
export * from './prompts';
export * from './split';
