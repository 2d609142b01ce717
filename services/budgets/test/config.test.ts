import { ConfigError, parseConfig } from '@finance/shared';
import { budgetsConfigSchema } from '../src/config';

describe('budgets configuration', () => {
  it('defaults to port 3003 and the finance_budgets database', () => {
    const config = parseConfig(budgetsConfigSchema, {});
    expect(config).toMatchObject({
      PORT: 3003,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/finance_budgets',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      DB_POOL_SIZE: 10,
      MAX_BUDGETS_PER_USER: 500,
    });
    expect(parseConfig(budgetsConfigSchema, { MAX_BUDGETS_PER_USER: '3' }).MAX_BUDGETS_PER_USER).toBe(3);
  });

  it('names the bad variable', () => {
    expect(() => parseConfig(budgetsConfigSchema, { PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => parseConfig(budgetsConfigSchema, { DATABASE_URL: 'mysql://x/y' })).toThrow(
      /DATABASE_URL is invalid/,
    );
    for (const bad of ['0', '-1', '2.5', 'many', '10001'])
      expect(() => parseConfig(budgetsConfigSchema, { MAX_BUDGETS_PER_USER: bad })).toThrow(
        /MAX_BUDGETS_PER_USER/,
      );
  });
});
