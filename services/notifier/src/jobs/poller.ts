import type { Logger } from '@finance/shared';

/**
 * Runs `work` every `intervalMs`, never two at once, and again at once when a round was full
 * (there is more due). `stop()` waits for the round in progress. The e-mail and webhook workers
 * are pollers over their outbox tables (several replicas share them through row claims).
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    /** Returns true when it did a full batch (run again without waiting). */
    private readonly work: () => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a round now (tests, and after something was queued in this process). */
  async runOnce(): Promise<void> {
    await this.round();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.round().then((more) => this.schedule(more ? 0 : this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async round(): Promise<boolean> {
    // One round at a time: the timer's and runOnce's wait here for each other.
    while (this.running) await this.running;
    const run = this.work().catch((error: unknown) => {
      this.logger.warn({ err: error }, `${this.name} round failed; retrying at the next one`);
      return false;
    });
    this.running = run.then(() => undefined);
    try {
      return (await run) && !this.stopped;
    } finally {
      this.running = undefined;
    }
  }
}
