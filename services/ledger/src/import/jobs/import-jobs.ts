import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Closer } from '@finance/shared';
import type { LedgerContext } from '../../use-cases/context';
import { withUserSettings } from '../../use-cases/context';
import { withRates } from '../../use-cases/exchange-rates';
import { fxContextOf } from '../../use-cases/fx-conversions';
import { StatementError } from '../formats/statement';
import {
  dropOrphanUploads,
  dropUpload,
  finishImport,
  findImport,
  importsToRun,
  recordProgress,
  stagedUpload,
  type ImportRecord,
} from '../data/imports';
import type { ImportOutcome, StatementReader } from '../use-cases/import-statement';
import { applyImport, ImportRefused } from '../use-cases/imports';

export interface ImportJobOptions {
  /** The reader of each format a job may meet (`csv`, and `ofx`/`camt` when their readers land). */
  readers: Readonly<Record<string, StatementReader>>;
  maxRows: number;
  pollMs: number;
  maxAttempts: number;
  logger: Logger;
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * Runs background imports, one at a time per process. A job is one DB transaction holding a
 * transaction-scoped advisory lock on its import: the import's transactions, its record and its
 * events commit together or not at all, and a process that dies mid-job leaves nothing but the
 * record still `running` with its lock released. Any replica's next round then finds it and runs it
 * again from its staged file (resumed from the start: nothing of it was applied), up to
 * `maxAttempts` times, then fails it with a reason.
 */
export class ImportJobs implements Closer {
  readonly name = 'import-jobs';
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly context: LedgerContext,
    private readonly options: ImportJobOptions,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.kick(), this.options.pollMs).unref();
    this.kick();
    return this;
  }

  /** Looks for work now (after an upload), or right after the round in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error) => this.options.logger.error({ err: error }, 'import job round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no round is running (tests wait on conditions, not on this). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    const { dataSource } = this.context;
    for (const id of await importsToRun(dataSource.manager, 20)) {
      if (this.stopped) return;
      await this.runJob(id);
    }
    await dropOrphanUploads(dataSource.manager, HOUR_MS);
  }

  private async runJob(id: string): Promise<void> {
    const { dataSource } = this.context;
    const record = await claim(dataSource, id);
    if (!record) return; // another process holds it, or it finished meanwhile
    const { release } = record;
    try {
      const job = record.job;
      if (job.attempts > this.options.maxAttempts) {
        await this.fail(
          job,
          `Not completed in ${job.attempts - 1} attempts (interrupted or failed); not tried again`,
          null,
        );
        return;
      }
      const reader = this.options.readers[job.format];
      if (!reader) {
        await this.fail(job, `No reader for the ${job.format} format`, null);
        return;
      }
      const request = {
        importId: job.id,
        userId: job.userId,
        fileName: job.fileName,
        options: job.options,
        reader,
        maxRows: this.options.maxRows,
      };
      try {
        await withRates(fxContextOf(this.context), (mayFetchRates) =>
          withUserSettings(this.context, job.userId, (settingsOf) =>
            dataSource.transaction(async (manager) => {
              await applyImport(
                this.context,
                manager,
                request,
                stagedUpload(dataSource.manager, job.id),
                mayFetchRates,
                settingsOf,
                {
                  recordExists: true,
                  onRows: (rows) =>
                    recordProgress(dataSource.manager, job.id, { rowsTotal: null, rowsDone: rows }),
                },
              );
              await dropUpload(manager, job.id);
            }),
          ),
        );
      } catch (error) {
        if (error instanceof ImportRefused)
          await this.fail(
            job,
            'Rows of the file are invalid; nothing was imported (import with skip_invalid=true to leave them out)',
            error.outcome,
          );
        else if (error instanceof StatementError) await this.fail(job, error.message, null);
        else {
          // Not the file's fault (the database went away…): the record stays running, and a later
          // round runs it again (attempts bound it).
          this.options.logger.error(
            { err: error, importId: job.id },
            'import job failed; it will be tried again',
          );
        }
      }
    } finally {
      await release();
    }
  }

  private async fail(job: ImportRecord, failure: string, outcome: ImportOutcome | null) {
    const manager = this.context.dataSource.manager;
    await finishImport(
      manager,
      job.id,
      {
        status: 'failed',
        accountId: outcome?.accountId ?? null,
        rowsTotal: outcome?.rowsTotal ?? job.rowsDone,
        imported: 0,
        duplicates: outcome?.duplicates.length ?? 0,
        invalid: outcome?.problems.length ?? 0,
        problems: {
          problems: outcome?.problems ?? [],
          duplicates: outcome?.duplicates ?? [],
          dialect: outcome?.dialect ?? null,
        },
        failure,
      },
      this.context.clock(),
    );
    await dropUpload(manager, job.id);
  }
}

/**
 * Takes a job: a session advisory lock on its id on a connection of its own (held until
 * `release`; a dead process's connection drops it), then the record marked running, one attempt more.
 */
async function claim(dataSource: DataSource, id: string) {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const release = async () => {
    await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [id]).catch(() => undefined);
    await runner.release();
  };
  const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [
    id,
  ]);
  if (!locked) {
    await runner.release();
    return undefined;
  }
  // TypeORM answers an UPDATE with [rows, affected count].
  const [rows]: [Array<{ user_id: string }>, number] = await runner.query(
    `UPDATE imports SET status = 'running', attempts = attempts + 1
      WHERE id = $1 AND status IN ('pending', 'running') RETURNING user_id`,
    [id],
  );
  if (rows.length === 0) {
    await release();
    return undefined;
  }
  const job = (await findImport(runner.manager, rows[0].user_id, id))!;
  return { job, release };
}
