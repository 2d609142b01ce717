export * from './contracts';
export * from './topology';
export * from './broker';
export * from './outbox';
export * from './inbox';
export * from './consumer';
export * from './dead-letters';
export * from './metrics';
