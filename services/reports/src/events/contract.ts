/** The one place this service imports the event contract from. */
export type { FinanceEvent, EventType } from '@finance/shared';
