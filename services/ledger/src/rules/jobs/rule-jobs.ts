import { lockUserForWrite, scheduleJob, type ScheduledJob, type ServiceContext } from '@finance/shared';
import { withUserSettings } from '../../use-cases/context';
import { withRates } from '../../use-cases/exchange-rates';
import { fxContextOf } from '../../use-cases/fx-conversions';
import { findRule } from '../data/rules';
import {
  failRuleJob,
  recordRuleJobBatch,
  ruleJobsToRun,
  startRuleJob,
  transactionsInRange,
  type RuleJob,
} from '../data/rule-jobs';
import { APPLY_BATCH, applyToTransactions, ruleSetOf } from '../use-cases/rule-applications';

export interface RuleJobOptions {
  /** When waiting or interrupted jobs are looked for (cron; also right after a job is made). */
  schedule: string;
  /** A job taken up this many times without finishing (its process died, the database went away) is failed. */
  maxAttempts: number;
}

/**
 * Background applications of a rule (POST /rules/{id}/apply on a large range), on the shared
 * scheduled-job mechanics (`scheduleJob`: one replica a round, `runNow` after a job is made).
 * Each batch of transactions is one DB transaction with the job's progress and cursor, so a job a
 * dead process left resumes after its last committed batch, changing nothing twice.
 */
export function scheduleRuleJobs(
  context: Pick<ServiceContext, 'dataSource' | 'logger' | 'clock' | 'readYourWrites'>,
  options: RuleJobOptions,
): ScheduledJob {
  const runJob = async (job: RuleJob): Promise<void> => {
    const { manager } = context.dataSource;
    const attempts = await startRuleJob(manager, job.id, context.clock());
    if (attempts > options.maxAttempts) {
      await failRuleJob(
        manager,
        job.id,
        `Not completed in ${attempts - 1} attempts; not tried again`,
        context.clock(),
      );
      return;
    }
    const rule = await findRule(manager, job.userId, job.ruleId);
    if (!rule) {
      await failRuleJob(manager, job.id, 'The rule was deleted', context.clock());
      return;
    }
    const set = await ruleSetOf(context, manager, rule);
    let after = job.after;
    for (let done = false; !done;) {
      done = await withRates(fxContextOf(context), (mayFetchRates) =>
        withUserSettings(context, job.userId, (settingsOf) =>
          context.dataSource.transaction(async (tx) => {
            await lockUserForWrite(tx, job.userId);
            const batch = await transactionsInRange(tx, job.userId, job.range, after, APPLY_BATCH);
            const counts = await applyToTransactions(context, tx, settingsOf, set, batch, mayFetchRates);
            const last = batch.at(-1);
            const finished = batch.length < APPLY_BATCH;
            await recordRuleJobBatch(
              tx,
              job.id,
              { ...counts, after: last ? { date: last.date, id: last.id } : null, done: finished },
              context.clock(),
            );
            if (last) after = { date: last.date, id: last.id };
            return finished;
          }),
        ),
      );
    }
  };

  return scheduleJob(context, {
    name: 'ledger-rule-jobs',
    schedule: options.schedule,
    run: async () => {
      let ran = 0;
      for (const job of await ruleJobsToRun(context.dataSource.manager, 10)) {
        try {
          await runJob(job);
          ran += 1;
        } catch (error) {
          // Not the job's fault (the database went away…): it stays running; a later round resumes it.
          context.logger.error({ err: error, ruleJobId: job.id }, 'rule job failed; it will be tried again');
        }
      }
      return ran ? { ran } : undefined;
    },
  });
}
