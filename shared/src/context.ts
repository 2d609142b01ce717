import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What is known about the unit of work in progress (an HTTP request or a consumed event).
 * Logs carry it, and the outbox copies `correlationId` into every event it writes.
 */
export interface WorkContext {
  requestId?: string;
  correlationId?: string;
  userId?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

export function runWithContext<T>(context: WorkContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): WorkContext {
  return storage.getStore() ?? {};
}

/** Adds to the current context in place (e.g. the user id once the token is verified). */
export function extendContext(values: Partial<WorkContext>): void {
  const store = storage.getStore();
  if (store) Object.assign(store, values);
}
