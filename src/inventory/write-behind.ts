// Writes that run behind a listing: up to `limit` at once, so the next page is fetched while earlier pages are
// written and two writes can use two database backends. Pages of one listing hold different devices, so their
// writes do not depend on each other. The first failure stops further writes and is rethrown by drain().
export class WriteBehind {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  /** Starts a write once fewer than `limit` are running; throws if an earlier write failed. */
  async add(write: () => Promise<void>): Promise<void> {
    this.rethrow();
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    this.rethrow();
    const running: Promise<void> = write()
      .catch((error) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  /** Waits for every write; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.rethrow();
  }

  /** Waits for every write, whatever happened (before recording a failed run, so no write lands after it). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}
