import bcrypt from 'bcrypt';

const DUMMY_PASSWORD = 'dummy-password-for-unknown-users';

/**
 * Hashes and checks passwords with bcrypt at the configured cost. Checking against an
 * unknown user still runs one comparison (against a dummy hash of the same cost), so
 * the answer time does not tell whether the account exists.
 */
export class PasswordHasher {
  private dummyHash?: Promise<string>;
  private warm = false;
  private comparisonCount = 0;

  constructor(readonly rounds: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const against = hash ?? (await this.dummy());
    this.comparisonCount += 1;
    const matches = await bcrypt.compare(password, against);
    return matches && hash !== undefined;
  }

  /** Precomputes the dummy hash so the first unknown-user login is not faster than the rest. */
  async warmUp(): Promise<void> {
    await this.dummy();
  }

  /** Whether the dummy hash is ready (setup warms up the very instance the routes serve with). */
  get isWarm(): boolean {
    return this.warm;
  }

  /** Password comparisons so far (a metric; tests use it to see which instance serves). */
  get comparisons(): number {
    return this.comparisonCount;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= bcrypt.hash(DUMMY_PASSWORD, this.rounds).then((hash) => {
      this.warm = true;
      return hash;
    });
    return this.dummyHash;
  }
}
