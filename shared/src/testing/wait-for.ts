/**
 * Polls `condition` until it returns a truthy value (which is returned), or fails after
 * `timeoutMs` with the last error. The way tests wait on asynchronous effects: on a
 * condition, never on a fixed sleep.
 */
export async function waitFor<T>(
  condition: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number; description?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out waiting for ${options.description ?? 'condition'}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

/**
 * For a test that makes a request wait for an event (read-your-writes) and then applies it:
 * `const parked = lookupsParkedOn(service.consumer)` before the request, `await parked()` after
 * sending it resolves once one more lookup waits than before. A waiting ReadYourWrites listens
 * for the consumer's `applied` events, so the request is parked when that listener appears —
 * no sleep that guesses how long the request takes to get there.
 */
export function lookupsParkedOn(consumer: {
  events: { listenerCount(event: string): number };
}): () => Promise<void> {
  const before = consumer.events.listenerCount('applied');
  return async () => {
    await waitFor(() => consumer.events.listenerCount('applied') > before, {
      description: 'the request to wait in read-your-writes',
    });
  };
}
