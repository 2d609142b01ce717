import type { EntityManager } from 'typeorm';

/**
 * Runs an UPDATE/DELETE … RETURNING and gives back its rows. (TypeORM answers those commands
 * with `[rows, rowCount]` instead of the rows, unlike SELECT and INSERT.)
 */
export async function changedRows<Row>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<Row[]> {
  const result: unknown = await manager.query(sql, parameters);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as Row[];
  return result as Row[];
}
