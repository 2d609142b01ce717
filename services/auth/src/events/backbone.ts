// The one place auth reaches the shared event backbone.
export { publishEvent, outboxMigrations } from '@finance/shared';
