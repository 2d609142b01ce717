import { randomUUID } from 'node:crypto';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { z } from 'zod';
import {
  ApiRouter,
  Readiness,
  TokenVerifier,
  authenticate,
  canonicalJson,
  createDataSource,
  createServiceApp,
  forgetIdempotencyKeysOf,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  idempotencyMigrations,
  openDatabase,
  purgeExpiredIdempotencyKeys,
  requestFingerprint,
  runIdempotently,
  sendIdempotentAnswer,
  unprocessable,
} from '../src';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  createTestDatabase,
  dropTestDatabase,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '../src/testing';

jest.setTimeout(60_000);

class CreateNotes1700000000901 implements MigrationInterface {
  name = 'CreateNotes1700000000901';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE notes (id uuid PRIMARY KEY, user_id uuid NOT NULL, text text NOT NULL)`,
    );
  }
  async down(): Promise<void> {}
}

describe('fingerprints', () => {
  it('are the same for the same JSON whatever the key order, and differ for another value or type', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(requestFingerprint({ a: 1, b: '2' })).toBe(requestFingerprint({ b: '2', a: 1 }));
    expect(requestFingerprint({ a: 1 })).not.toBe(requestFingerprint({ a: '1' }));
    expect(requestFingerprint({ a: 1, b: undefined })).toBe(requestFingerprint({ a: 1 }));
    expect(requestFingerprint([1, 2])).not.toBe(requestFingerprint([2, 1]));
  });
});

describe('Idempotency-Key over HTTP, with a real database', () => {
  const issuer = new TestTokenIssuer();
  let url: string;
  let dataSource: DataSource;
  let server: RunningServer;
  /** How many times the work really ran (what a replay must not increase). */
  let runs = 0;

  beforeAll(async () => {
    await issuer.start();
    url = await createTestDatabase('idempotency');
    dataSource = await openDatabase(
      createDataSource({
        url,
        entities: [],
        migrations: [...idempotencyMigrations, CreateNotes1700000000901],
        poolSize: 12,
      }),
    );
    const api = new ApiRouter({
      authenticate: authenticate(
        new TokenVerifier({ jwksUrl: issuer.jwksUrl, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
      ),
    });
    for (const path of ['/notes', '/memos']) {
      api.post(
        path,
        {
          summary: 'Write a note',
          body: z.object({ text: z.string(), tags: z.array(z.string()).optional() }),
          headers: idempotencyKeyHeader,
          responses: { 201: { description: 'Written' } },
        },
        async ({ body, user }, req, res) => {
          const answer = await runIdempotently(
            dataSource,
            { scope: `POST ${path}`, userId: user.id, key: idempotencyKeyOf(req), body: req.body },
            async (manager) => {
              runs++;
              const id = randomUUID();
              await manager.query(`INSERT INTO notes (id, user_id, text) VALUES ($1, $2, $3)`, [
                id,
                user.id,
                body.text,
              ]);
              // A failure after the insert: everything, the key too, must roll back.
              if (body.text === 'fail') throw unprocessable('This note is refused');
              return { status: 201, body: { id, text: body.text } };
            },
          );
          res.location(`${path}/${answer.body.id}`);
          sendIdempotentAnswer(res, answer);
        },
      );
    }
    server = await startHttpServer(
      createServiceApp({
        logger: testLogger(),
        readiness: new Readiness({}),
        openapi: { title: 'test', version: '1' },
        routers: [api],
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await issuer.stop();
    await dataSource?.destroy();
    if (url) await dropTestDatabase(url);
  });

  const user = () => {
    const id = randomUUID();
    return { id, token: issuer.token(id) };
  };
  const post = (
    who: { token: string },
    body: unknown,
    key: string | undefined,
    path: '/notes' | '/memos' = '/notes',
  ) =>
    httpJson('POST', `${server.url}${path}`, {
      token: who.token,
      body,
      headers: key === undefined ? {} : { 'Idempotency-Key': key },
    });
  const notesOf = async (userId: string): Promise<number> =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM notes WHERE user_id = $1`, [userId]))[0].n;

  it('replays the stored answer for the same key and body, and does the work once', async () => {
    const alice = user();
    const first = await post(alice, { text: 'hello', tags: ['a'] }, 'k1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const before = runs;
    const again = await post(alice, { tags: ['a'], text: 'hello' }, 'k1'); // same JSON, keys reordered
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/notes/${first.body.id}`);
    expect(runs).toBe(before);
    expect(await notesOf(alice.id)).toBe(1);

    const other = await post(alice, { text: 'hello!' }, 'k1');
    expect(other.status).toBe(422);
    expect(other.body.errors.map((e: { field: string }) => e.field)).toEqual(['header.Idempotency-Key']);
    expect(await notesOf(alice.id)).toBe(1);

    // Without a key every request is new.
    await post(alice, { text: 'hello' }, undefined);
    await post(alice, { text: 'hello' }, undefined);
    expect(await notesOf(alice.id)).toBe(3);
  });

  it('keeps keys per user and per operation', async () => {
    const alice = user();
    const bob = user();
    const mine = await post(alice, { text: 'x' }, 'shared-key');
    const his = await post(bob, { text: 'x' }, 'shared-key');
    const memo = await post(alice, { text: 'x' }, 'shared-key', '/memos');
    expect([mine.status, his.status, memo.status]).toEqual([201, 201, 201]);
    expect(new Set([mine.body.id, his.body.id, memo.body.id]).size).toBe(3);
    expect(memo.headers.get('idempotent-replayed')).toBeNull();
  });

  it('rejects a malformed key with a 400 naming the header, before any work', async () => {
    const alice = user();
    const before = runs;
    for (const key of ['', 'k'.repeat(256)]) {
      const res = await post(alice, { text: 'x' }, key);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['header.Idempotency-Key']);
    }
    expect((await post(alice, { text: 'x' }, 'k'.repeat(255))).status).toBe(201);
    expect(runs).toBe(before + 1);
  });

  it('stores nothing for a failed request, so a retry with the same key is evaluated afresh', async () => {
    const alice = user();
    const failed = await post(alice, { text: 'fail' }, 'kf');
    expect(failed.status).toBe(422);
    const before = runs;
    expect((await post(alice, { text: 'fail' }, 'kf')).status).toBe(422);
    expect(runs).toBe(before + 1); // ran again, not replayed
    const [{ n }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'kf'`,
    );
    expect(n).toBe(0);
    expect(await notesOf(alice.id)).toBe(0);
    // The key is still free for a corrected request.
    expect((await post(alice, { text: 'fine' }, 'kf')).status).toBe(201);
  });

  it('does the work once under concurrent retries; a racing other body gets the 422', async () => {
    const alice = user();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(alice, { text: 'race' }, 'kr')));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    expect(await notesOf(alice.id)).toBe(1);

    const bob = user();
    const mixed = await Promise.all([
      ...Array.from({ length: 4 }, () => post(bob, { text: 'one' }, 'km')),
      ...Array.from({ length: 4 }, () => post(bob, { text: 'two' }, 'km')),
    ]);
    const winners = new Set(mixed.filter((a) => a.status === 201).map((a) => a.body.text));
    expect(winners.size).toBe(1);
    const winner = [...winners][0];
    expect(mixed.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 422, 422, 422, 422]);
    for (const refused of mixed.filter((a) => a.status === 422))
      expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['header.Idempotency-Key']);
    expect(mixed.filter((a) => a.status === 201).every((a) => a.body.text === winner)).toBe(true);
    expect(await notesOf(bob.id)).toBe(1);
  });

  it('forgets keys after their replay window, and a user’s keys on request', async () => {
    const alice = user();
    const first = await post(alice, { text: 'old' }, 'ke');
    await dataSource.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1`,
      [alice.id],
    );
    // Expired: the same key is a new request (and may even carry another body).
    const fresh = await post(alice, { text: 'new' }, 'ke');
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(first.body.id);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();

    const bob = user();
    await post(bob, { text: 'b' }, 'kb');
    await dataSource.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1`,
      [bob.id],
    );
    expect(await purgeExpiredIdempotencyKeys(dataSource.manager)).toBeGreaterThanOrEqual(1);
    const count = async (userId: string) =>
      (
        await dataSource.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE user_id = $1`, [userId])
      )[0].n;
    expect(await count(bob.id)).toBe(0);
    expect(await count(alice.id)).toBe(1); // the live one stays

    await forgetIdempotencyKeysOf(dataSource.manager, alice.id);
    expect(await count(alice.id)).toBe(0);
  });
});
