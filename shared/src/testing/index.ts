export * from './database';
export * from './http';
export * from './wait-for';
export * from './token-issuer';
export * from './events';
export * from './service';
