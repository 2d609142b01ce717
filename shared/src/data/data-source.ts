import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';

export interface DataSourceConfig {
  url: string;
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations: NonNullable<DataSourceOptions['migrations']>;
  poolSize?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/** A TypeORM data source for one service's own database. Schema changes only through migrations. */
export function createDataSource(config: DataSourceConfig): DataSource {
  const options: DataSourceOptions = {
    type: 'postgres',
    url: config.url,
    entities: config.entities,
    migrations: config.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: config.applicationName,
    extra: {
      max: config.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
      // While PostgreSQL is away a request must fail (503) rather than wait for a connection for ever.
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    },
    // bigint columns come back as strings; money code turns them into BigInt, never Number.
    parseInt8: false,
  };
  return new DataSource(options);
}

/** Creates the database named in `url` if it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name))
    throw new Error(`Refusing to create database with unusual name: ${name}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } catch (error) {
        // Another process created it between our check and our CREATE: that is fine.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so replicas starting
 * together do not race: the first migrates, the others wait and then find nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext('finance-tracker:migrations'))`);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext('finance-tracker:migrations'))`);
    }
  } finally {
    await runner.release();
  }
}

/** Connects, then migrates under the lock. */
export async function openDatabase(dataSource: DataSource): Promise<DataSource> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  await runMigrations(dataSource);
  return dataSource;
}

/** A readiness check: the database answers a trivial query. */
export function databaseCheck(dataSource: DataSource) {
  return async () => {
    if (!dataSource.isInitialized) return false;
    await dataSource.query('SELECT 1');
    return true;
  };
}
