import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, uniqueViolation } from '../src';
import { createTestDatabase, dropTestDatabase } from '../src/testing';

jest.setTimeout(60_000);

describe('uniqueViolation', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    url = await createTestDatabase('unique_violation');
    dataSource = await createDataSource({ url, entities: [], migrations: [] }).initialize();
    await dataSource.query(`CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL)`);
    await dataSource.query(`CREATE UNIQUE INDEX things_name ON things (lower(name))`);
    await dataSource.query(`INSERT INTO things VALUES (1, 'One')`);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    if (url) await dropTestDatabase(url);
  });

  const failure = async (run: () => Promise<unknown>): Promise<unknown> => {
    try {
      await run();
    } catch (error) {
      return error;
    }
    throw new Error('expected the statement to fail');
  };

  it('names the constraint a TypeORM query broke', async () => {
    const byIndex = await failure(() => dataSource.query(`INSERT INTO things VALUES (2, 'ONE')`));
    expect(uniqueViolation(byIndex)).toEqual({ constraint: 'things_name' });
    const byKey = await failure(() => dataSource.query(`INSERT INTO things VALUES (1, 'Two')`));
    expect(uniqueViolation(byKey)).toEqual({ constraint: 'things_pkey' });
  });

  it('reads a bare pg error too', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const error = await failure(() => client.query(`INSERT INTO things VALUES (3, 'one')`));
      expect(uniqueViolation(error)).toEqual({ constraint: 'things_name' });
    } finally {
      await client.end();
    }
  });

  it('is undefined for every other error and for things that are not errors', async () => {
    const notNull = await failure(() => dataSource.query(`INSERT INTO things VALUES (4, NULL)`));
    expect(uniqueViolation(notNull)).toBeUndefined();
    const syntax = await failure(() => dataSource.query(`INSERT INTO nowhere VALUES (1)`));
    expect(uniqueViolation(syntax)).toBeUndefined();
    for (const value of [undefined, null, 'x', 23505, new Error('23505'), { code: 23505 }])
      expect(uniqueViolation(value)).toBeUndefined();
    expect(uniqueViolation({ code: '23505' })).toEqual({ constraint: undefined });
  });
});
