import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  IDEMPOTENCY_KEY_TTL_HOURS,
  claimIdempotencyKey,
  recordIdempotentAnswer,
  storedIdempotentAnswer,
  type IdempotencyKeyRef,
  type StoredIdempotentAnswer,
} from '../data/idempotency-keys';
import { HttpProblem, badRequest, unprocessable } from './problem';

/**
 * `Idempotency-Key`, the same on every service: a client that retries a write with the same key
 * and the same body gets the first answer again (`Idempotent-Replayed: true`) and the work is done
 * once, also when the retries race; the same key with another body is a 422. Only successful
 * answers are stored, in the same DB transaction as the work, so a failed request stores nothing
 * and a corrected retry with the same key is evaluated afresh. Keys live 24 h
 * ({@link IDEMPOTENCY_KEY_TTL_HOURS}); the table comes from `idempotencyMigrations`.
 */

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Request header documentation for routes that honour an Idempotency-Key. */
export const idempotencyKeyHeader = {
  'Idempotency-Key': {
    description: `Makes retries safe: same key + same body → same answer, once (1–${IDEMPOTENCY_KEY_MAX_LENGTH} characters, kept ${IDEMPOTENCY_KEY_TTL_HOURS} h)`,
  },
};

const KEY_FIELD = 'header.Idempotency-Key';
const keySchema = z.string().min(1).max(IDEMPOTENCY_KEY_MAX_LENGTH);

/** The request's Idempotency-Key: undefined when absent; a 400 naming the header when malformed. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.header('idempotency-key');
  if (key !== undefined && !keySchema.safeParse(key).success)
    throw badRequest('The Idempotency-Key header is invalid', [
      { field: KEY_FIELD, message: `Must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters` },
    ]);
  return key;
}

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What an Idempotency-Key is bound to: sha256 of the canonical request body. */
export function requestFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export interface IdempotentRequest {
  /** The operation, e.g. `POST /transactions`: one key on two operations is two requests. */
  scope: string;
  userId: string;
  /** From {@link idempotencyKeyOf}; undefined → the work simply runs. */
  key: string | undefined;
  /** The body as the client sent it (`req.body`), which the key is bound to. */
  body: unknown;
}

export interface IdempotentAnswer<T> {
  status: number;
  body: T;
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

class KeyAlreadyClaimed extends Error {}

const keyReused = () =>
  unprocessable('This Idempotency-Key was already used with a different request body', [
    { field: KEY_FIELD, message: 'Reused with a different body; use a new key for a new request' },
  ]);

function replay<T>(status: number, stored: StoredIdempotentAnswer): IdempotentAnswer<T> {
  return { status, body: stored.body as T, replayed: true };
}

const inProgress = () => new HttpProblem(409, 'A request with this Idempotency-Key is in progress');

/**
 * Runs `work` in a DB transaction, at most once per (scope, user, key): the key is claimed in
 * that transaction and the answer stored with it. A later or concurrent request with the same key
 * and body gets the stored answer; with another body, a 422 naming `header.Idempotency-Key`.
 * `work` returns a 2xx status and the JSON body to answer with (and to replay).
 */
export async function runIdempotently<T>(
  dataSource: DataSource,
  request: IdempotentRequest,
  work: (manager: EntityManager) => Promise<{ status: number; body: T }>,
): Promise<IdempotentAnswer<T>> {
  const { key } = request;
  if (key === undefined) return { ...(await dataSource.transaction(work)), replayed: false };
  const ref: IdempotencyKeyRef = { scope: request.scope, userId: request.userId, key };
  const fingerprint = requestFingerprint(request.body);

  // A retry after the first answer committed: no transaction needed.
  const earlier = await storedIdempotentAnswer(dataSource.manager, ref);
  if (earlier) {
    if (earlier.requestHash !== fingerprint) throw keyReused();
    if (earlier.status !== null) return replay<T>(earlier.status, earlier);
  }
  try {
    const answer = await dataSource.transaction(async (manager) => {
      if (!(await claimIdempotencyKey(manager, ref, fingerprint))) throw new KeyAlreadyClaimed();
      const done = await work(manager);
      await recordIdempotentAnswer(manager, ref, done.status, done.body);
      return done;
    });
    return { ...answer, replayed: false };
  } catch (error) {
    if (!(error instanceof KeyAlreadyClaimed)) throw error;
    // A concurrent request with this key committed first: answer as it did.
    const winner = await storedIdempotentAnswer(dataSource.manager, ref);
    if (!winner || winner.status === null) throw inProgress();
    if (winner.requestHash !== fingerprint) throw keyReused();
    return replay<T>(winner.status, winner);
  }
}

/** Sends an answer of {@link runIdempotently}, marking a replay with `Idempotent-Replayed: true`. */
export function sendIdempotentAnswer(res: Response, answer: IdempotentAnswer<unknown>): void {
  if (answer.replayed) res.set('Idempotent-Replayed', 'true');
  res.status(answer.status).json(answer.body);
}
