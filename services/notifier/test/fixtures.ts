import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  newId,
  parseEvent,
  type EventPayloadInput,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A complete, contract-valid event, as its publisher would send it. */
export function envelope<T extends EventType>(
  type: T,
  userId: string,
  payload: EventPayloadInput<T>,
  fields: { aggregateId?: string; aggregateVersion?: number } = {},
): FinanceEvent<T> {
  return parseEvent({
    id: newId(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    userId,
    correlationId: 'notifier-test',
    aggregateId: fields.aggregateId ?? newId(),
    aggregateVersion: fields.aggregateVersion ?? 1,
    payload,
  }) as FinanceEvent<T>;
}

export interface TestUser {
  id: string;
  email: string;
  username: string;
  baseCurrency: string;
  timezone: string;
}

export function testUser(overrides: Partial<TestUser> = {}): TestUser {
  const id = overrides.id ?? newId();
  return {
    id,
    email: `${id.slice(-12)}@example.test`,
    username: `user-${id.slice(-6)}`,
    baseCurrency: 'EUR',
    timezone: 'Europe/Berlin',
    ...overrides,
  };
}

export function userRegistered(user: TestUser, version = 1) {
  return envelope(
    'auth.user.registered',
    user.id,
    {
      email: user.email,
      username: user.username,
      baseCurrency: user.baseCurrency,
      timezone: user.timezone,
      role: 'user',
      sessionVersion: 1,
      isActive: true,
    },
    { aggregateId: user.id, aggregateVersion: version },
  );
}

export function userUpdated(user: TestUser, version: number, sessionVersion = 1) {
  return envelope(
    'auth.user.updated',
    user.id,
    {
      email: user.email,
      username: user.username,
      baseCurrency: user.baseCurrency,
      timezone: user.timezone,
      role: 'user',
      sessionVersion,
      isActive: true,
    },
    { aggregateId: user.id, aggregateVersion: version },
  );
}

export function userDeleted(user: TestUser, version = 2) {
  return envelope('auth.user.deleted', user.id, {}, { aggregateId: user.id, aggregateVersion: version });
}

export function budgetExceeded(
  userId: string,
  overrides: Partial<EventPayloadInput<'budgets.budget.exceeded'>> = {},
): FinanceEvent<'budgets.budget.exceeded'> {
  const budgetId = overrides.budgetId ?? newId();
  return envelope(
    'budgets.budget.exceeded',
    userId,
    {
      budgetId,
      name: 'Groceries',
      categoryId: newId(),
      windowStart: '2026-01-01',
      windowEnd: '2026-01-31',
      limit: '500.00',
      spent: '512.40',
      percentUsed: '102.48',
      currency: 'EUR',
      threshold: 100,
      ...overrides,
    },
    { aggregateId: budgetId },
  );
}

/** One event of every kind the notifier consumes, for a user. */
export function oneOfEachKind(userId: string): FinanceEvent[] {
  return [
    envelope('budgets.budget.threshold-reached', userId, {
      budgetId: newId(),
      name: 'Eating out',
      categoryId: null,
      windowStart: '2026-01-01',
      windowEnd: '2026-01-31',
      limit: '200.00',
      spent: '165.00',
      percentUsed: '82.50',
      currency: 'EUR',
      threshold: 80,
    }),
    budgetExceeded(userId),
    envelope('budgets.budget.removed', userId, {
      budgetId: newId(),
      name: 'Pets',
      reason: 'category-deleted',
      categoryId: newId(),
    }),
    envelope('goals.goal.milestone-reached', userId, {
      goalId: newId(),
      name: 'Holiday in Portugal',
      targetAmount: '2000.00',
      currentAmount: '1000.00',
      currency: 'EUR',
      milestone: 50,
    }),
    envelope('goals.goal.completed', userId, {
      goalId: newId(),
      name: 'Emergency fund',
      targetAmount: '5000.00',
      currentAmount: '5000.00',
      currency: 'EUR',
    }),
    envelope('ledger.recurring.upcoming', userId, {
      recurringId: newId(),
      dueDate: '2026-02-01',
      amount: '1200.00',
      currency: 'EUR',
      type: 'expense',
      description: 'Rent',
    }),
    envelope('ledger.recurring.generated', userId, {
      recurringId: newId(),
      transactionId: newId(),
      date: '2026-02-01',
      amount: '1200.00',
      currency: 'EUR',
    }),
    envelope('ledger.import.completed', userId, {
      importId: newId(),
      fileName: 'bank-statement-january.csv',
      imported: 42,
      skipped: 3,
      failed: 1,
    }),
    envelope('reports.monthly.ready', userId, {
      reportId: newId(),
      month: '2026-01',
      income: '3200.00',
      expense: '2450.75',
      net: '749.25',
      currency: 'EUR',
    }),
  ];
}

// ── a real SMTP server ────────────────────────────────────────────────────────

export interface ReceivedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly url: string;
  mails: ReceivedMail[];
  /** Answer the next `n` messages with a temporary failure (451). */
  failNext(n: number): void;
  /** Stop listening (SMTP down); `start()` listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSmtpReceiver(port = 0): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  let failures = 0;
  let server: SMTPServer | undefined;
  let boundPort = port;
  const listen = async () => {
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (failures > 0) {
            failures--;
            return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          }
          simpleParser(Buffer.concat(chunks)).then(
            (parsed) => {
              mails.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), parsed });
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      smtp.once('error', reject);
      smtp.listen(boundPort, '127.0.0.1', () => resolve());
    });
    server = smtp;
    boundPort = (smtp.server.address() as AddressInfo).port;
  };
  await listen();
  return {
    get port() {
      return boundPort;
    },
    get url() {
      return `smtp://127.0.0.1:${boundPort}`;
    },
    mails,
    failNext(n) {
      failures = n;
    },
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    start: listen,
  };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// ── a real webhook receiver ───────────────────────────────────────────────────

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Answers, in order, for the next requests (then 200). */
  answerWith(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  options: {
    host?: string;
    port?: number;
    /** Answer a request yourself (return true) instead of the queued statuses. */
    respond?: (req: ReceivedRequest, res: ServerResponse) => boolean;
  } = {},
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let queued: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      if (options.respond?.(received, res)) return;
      const status = queued.shift() ?? 200;
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status === 200 ? 'ok' : `failing with ${status}`);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/hooks`,
    port,
    requests,
    answerWith(...statuses) {
      queued = statuses;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Environment for a notifier under test: fast workers and retries, receivers on this machine allowed. */
export function fastEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DELIVERY_POLL_MS: '25',
    EMAIL_RETRY_BASE_MS: '50',
    EMAIL_RETRY_MAX_MS: '200',
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_RETRY_MAX_MS: '200',
    WEBHOOK_TIMEOUT_MS: '2000',
    SMTP_TIMEOUT_MS: '2000',
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
    ...extra,
  };
}

// ── a real DNS server (UDP, A records only) ───────────────────────────────────

export interface DnsServer {
  /** host:port, for WEBHOOK_DNS_SERVERS. */
  address: string;
  /** What each query for a name answers, in turn (the last one repeats). */
  answer(name: string, ...addresses: string[]): void;
  queries: string[];
  close(): Promise<void>;
}

/** Answers A queries from a table (so a test can make a name change its address: DNS rebinding). */
export async function startDnsServer(): Promise<DnsServer> {
  const dgram = await import('node:dgram');
  const socket = dgram.createSocket('udp4');
  const table = new Map<string, string[]>();
  const queries: string[] = [];
  socket.on('message', (query, peer) => {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset] !== 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]).toString('ascii'));
      offset += query[offset] + 1;
    }
    const question = query.subarray(12, offset + 5);
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    if (type === 1) queries.push(name);
    const answers = table.get(name);
    const address = type === 1 && answers ? (answers.length > 1 ? answers.shift()! : answers[0]) : undefined;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    header.writeUInt16BE(answers ? 0x8180 : 0x8183, 2); // NOERROR, or NXDOMAIN for unknown names
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(address ? 1 : 0, 6);
    const parts = [header, question];
    if (address) {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0);
      record.writeUInt16BE(1, 2);
      record.writeUInt16BE(1, 4);
      record.writeUInt32BE(0, 6);
      record.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
      parts.push(record);
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    answer(name, ...addresses) {
      table.set(name.toLowerCase(), addresses);
    },
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
