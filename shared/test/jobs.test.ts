import { SHARED_MIGRATIONS, createDataSource, openDatabase, scheduleJob, isJobSchedule } from '../src';
import { createTestDatabase, dropTestDatabase, testLogger, waitFor } from '../src/testing';
import type { DataSource } from 'typeorm';

let url: string;
let replicas: DataSource[];

beforeAll(async () => {
  url = await createTestDatabase('jobs');
  // Three replicas of one service: three pools on one database.
  replicas = await Promise.all(
    [1, 2, 3].map(() =>
      openDatabase(createDataSource({ url, entities: [], migrations: SHARED_MIGRATIONS, poolSize: 3 })),
    ),
  );
});
afterAll(async () => {
  await Promise.all(replicas.map((db) => db.destroy()));
  await dropTestDatabase(url);
});

describe('scheduled jobs', () => {
  it('runs a round on one replica at a time, the others skip it, and uses the service clock', async () => {
    let inside = 0;
    let mostAtOnce = 0;
    const seen: Date[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const jobs = replicas.map((dataSource) =>
      scheduleJob(
        { dataSource, logger: testLogger(), clock: () => new Date('2031-05-01T00:00:00Z') },
        {
          name: 'test-round',
          schedule: 'off',
          run: async (now) => {
            inside++;
            mostAtOnce = Math.max(mostAtOnce, inside);
            seen.push(now);
            await gate;
            inside--;
          },
        },
      ),
    );
    const first = jobs[0].runNow();
    // The others find the lock held while the first runs.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (seen.length === 1) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    await expect(Promise.all([jobs[1].runNow(), jobs[2].runNow()])).resolves.toEqual([false, false]);
    // The same replica asked again meanwhile joins the round in progress instead of starting one.
    const again = jobs[0].runNow();
    release();
    await expect(first).resolves.toBe(true);
    await expect(again).resolves.toBe(true);
    expect(mostAtOnce).toBe(1);
    expect(seen).toEqual([new Date('2031-05-01T00:00:00Z')]);
    // Once it is over, another replica may run the next round.
    await expect(jobs[1].runNow()).resolves.toBe(true);
    await Promise.all(jobs.map((job) => job.close()));
  });

  it("on a schedule the replicas' rounds never overlap (the lock excludes; each job's effect must bear a repeat)", async () => {
    let inside = 0;
    let mostAtOnce = 0;
    let rounds = 0;
    // Every second on each of the three replicas; a round takes 300 ms.
    const jobs = replicas.map((dataSource) =>
      scheduleJob(
        { dataSource, logger: testLogger(), clock: () => new Date() },
        {
          name: 'test-scheduled',
          schedule: '* * * * * *',
          run: async () => {
            inside++;
            mostAtOnce = Math.max(mostAtOnce, inside);
            await new Promise((resolve) => setTimeout(resolve, 300));
            inside--;
            rounds++;
          },
        },
      ),
    );
    await waitFor(() => rounds >= 3, { timeoutMs: 20_000, description: 'three scheduled rounds' });
    await Promise.all(jobs.map((job) => job.close()));
    expect(mostAtOnce).toBe(1);
  });

  it('survives a failing round and runs the next', async () => {
    let calls = 0;
    const job = scheduleJob(
      { dataSource: replicas[0], logger: testLogger(), clock: () => new Date() },
      {
        name: 'flaky',
        schedule: 'off',
        run: async () => {
          calls++;
          if (calls === 1) throw new Error('first round fails');
        },
      },
    );
    await expect(job.runNow()).resolves.toBe(false);
    await expect(job.runNow()).resolves.toBe(true);
    await job.close();
  });

  it('knows a schedule from a typo', () => {
    expect(isJobSchedule('*/5 * * * *')).toBe(true);
    expect(isJobSchedule('off')).toBe(true);
    expect(isJobSchedule('every five minutes')).toBe(false);
  });
});
