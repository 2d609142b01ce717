/**
 * `@finance/shared/http`: the HTTP pieces without the data and event layers (no TypeORM, pg or
 * amqplib loaded), for the gateway, which has no database and no broker.
 */
export * from '../config';
export * from '../context';
export * from '../logger';
export * from '../shutdown';
export * from './problem';
export * from './error-handler';
export * from './request-context';
export * from './authenticate';
export * from './health';
export * from './client-errors';
export * from './keep-alive';
export * from './forwarding';
export * from './internal-stats';
