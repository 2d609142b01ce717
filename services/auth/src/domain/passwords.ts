import bcrypt from 'bcrypt';

/**
 * Hashes and checks passwords with bcrypt at the configured cost. Checking against an
 * unknown user still runs one comparison (against a dummy hash of the same cost), so
 * the answer time does not tell whether the account exists.
 */
export class PasswordHasher {
  private dummyHash?: Promise<string>;

  constructor(readonly rounds: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  async verify(password: string, hash: string | undefined): Promise<boolean> {
    this.dummyHash ??= bcrypt.hash('dummy-password-for-unknown-users', this.rounds);
    const against = hash ?? (await this.dummyHash);
    const matches = await bcrypt.compare(password, against);
    return matches && hash !== undefined;
  }

  /** Precomputes the dummy hash so the first unknown-user login is not faster than the rest. */
  async warmUp(): Promise<void> {
    this.dummyHash ??= bcrypt.hash('dummy-password-for-unknown-users', this.rounds);
    await this.dummyHash;
  }
}
