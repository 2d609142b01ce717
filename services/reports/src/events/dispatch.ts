import type { EntityManager } from 'typeorm';
import type { EventType, FinanceEvent } from './contract';
import {
  applyAccountEvent,
  applyCategoryEvent,
  applyTransactionEvent,
  applyUserEvent,
  purgeUser,
} from './handlers';

type Handler = (event: FinanceEvent, manager: EntityManager) => Promise<void>;

/** Which handler applies each consumed event type; the consumer subscribes to exactly these keys. */
export const handlers: Partial<Record<EventType, Handler>> = {
  'ledger.transaction.created': applyTransactionEvent as Handler,
  'ledger.transaction.updated': applyTransactionEvent as Handler,
  'ledger.transaction.deleted': applyTransactionEvent as Handler,
  'ledger.category.created': applyCategoryEvent as Handler,
  'ledger.category.updated': applyCategoryEvent as Handler,
  'ledger.category.deleted': applyCategoryEvent as Handler,
  'ledger.account.created': applyAccountEvent as Handler,
  'ledger.account.updated': applyAccountEvent as Handler,
  'ledger.account.deleted': applyAccountEvent as Handler,
  'auth.user.registered': applyUserEvent as Handler,
  'auth.user.updated': applyUserEvent as Handler,
  'auth.user.deleted': purgeUser as Handler,
};

export async function dispatchEvent(event: FinanceEvent, manager: EntityManager): Promise<void> {
  await handlers[event.type]?.(event, manager);
}
