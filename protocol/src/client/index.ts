export * from './chat';
export * from './relay';
export * from './sse';
