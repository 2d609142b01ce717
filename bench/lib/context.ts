import { registerUser, startSystem, type ServiceName, type System } from './system';
import { createLedgerBasics, seedBudgets, seedLedger, seedReports, type SeededUser } from './seed';

export interface Measure {
  bench: string;
  measure: string;
  value: number;
  unit: string;
  /** e.g. "≥ 0.7"; absent when the figure is reported without a target. */
  target?: string;
  met?: boolean;
  detail?: string;
}

export interface Bench {
  name: string;
  /** Issue 7's measure number and what it shows. */
  title: string;
  run(ctx: BenchContext): Promise<void>;
}

/**
 * What benches share in one run: the system (started once, on first use), the seeded users
 * (seeded once, on first use) and the results.
 */
export class BenchContext {
  readonly measures: Measure[] = [];
  readonly notes: string[] = [];
  private systemStarting?: Promise<System>;
  private bigUserSeeding?: Promise<SeededUser>;
  private readonly sizedUsers = new Map<number, Promise<SeededUser>>();
  current = '';
  /** Resident memory of each service a few seconds after start, before any load. */
  readonly idleRss = new Map<ServiceName, { node: number; descendants: number }>();

  constructor(readonly quick: boolean) {}

  system(): Promise<System> {
    this.systemStarting ??= startSystem().then(async (system) => {
      this.note(`system started (5 processes, fresh databases, migrations) in ${system.coldStartMs} ms`);
      // Settle (reports' Chromium warms in the background), then take the idle footprint.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      for (const name of Object.keys(system.children) as ServiceName[])
        this.idleRss.set(name, system.rss(name));
      return system;
    });
    return this.systemStarting;
  }

  get started(): Promise<System> | undefined {
    return this.systemStarting;
  }

  record(measure: Omit<Measure, 'bench'>): void {
    const full = { bench: this.current, ...measure };
    this.measures.push(full);
    const status = full.met === undefined ? '' : full.met ? '  met' : '  MISSED';
    console.log(
      `  ${full.measure}: ${full.value} ${full.unit}${full.target ? ` (target ${full.target})` : ''}${status}${full.detail ? ` — ${full.detail}` : ''}`,
    );
  }

  note(text: string): void {
    this.notes.push(`[${this.current}] ${text}`);
    console.log(`  · ${text}`);
  }

  /** A registered user with one account and 20 categories and `n` bulk-seeded transactions everywhere. */
  async user(n: number, label = `u${n}`): Promise<SeededUser> {
    const system = await this.system();
    const registered = await registerUser(system, label);
    const basics = await createLedgerBasics(system, registered);
    const user: SeededUser = { ...registered, ...basics, transactions: n };
    if (n > 0) {
      const [ledgerMs, reportsMs, budgetsMs] = await Promise.all([
        seedLedger(system, user),
        seedReports(system, user),
        seedBudgets(system, user),
      ]);
      this.note(
        `seeded ${n.toLocaleString('en')} transactions: ledger ${ledgerMs.toFixed(0)} ms, reports + roll-ups ${reportsMs.toFixed(0)} ms, budgets ${budgetsMs.toFixed(0)} ms (in parallel)`,
      );
    }
    return user;
  }

  /** The user with 1,000,000 transactions (pagination, analytics), seeded once per run. */
  bigUser(): Promise<SeededUser> {
    this.bigUserSeeding ??= this.user(this.quick ? 100_000 : 1_000_000, 'big');
    return this.bigUserSeeding;
  }

  sizedUser(n: number): Promise<SeededUser> {
    let seeding = this.sizedUsers.get(n);
    if (!seeding) {
      seeding = this.user(n);
      this.sizedUsers.set(n, seeding);
    }
    return seeding;
  }
}
