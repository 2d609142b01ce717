import type { EntityManager } from 'typeorm';
import type { AlertThreshold } from '../domain/budget-analysis';

/**
 * Records that a budget window reached a threshold; answers false when it had already been
 * recorded (the alert was sent before), so each threshold is announced once per window.
 */
export async function recordAlert(
  manager: EntityManager,
  alert: { budgetId: string; windowStart: string; threshold: AlertThreshold },
): Promise<boolean> {
  const inserted: unknown[] = await manager.query(
    `INSERT INTO budget_alerts (budget_id, window_start, threshold) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING threshold`,
    [alert.budgetId, alert.windowStart, alert.threshold],
  );
  return inserted.length === 1;
}
