export * from './chat';
export * from './relay';
export * from './sse';
export * from './stream-chat';
export * from './request-padding';
export * from './plan';
