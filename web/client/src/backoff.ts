/**
 * Reconnect and retry delays: exponential backoff with full jitter (a
 * random delay between 0 and `min(max, base · 2^attempt)`), so a server
 * that restarts is not met by every client at the same instant. A delay
 * the server asks for (`retry_after_ms`) is a floor.
 */

/** Backoff settings, in milliseconds. */
export interface BackoffOptions {
  /** The first retry's ceiling (default 250). */
  baseMs?: number;
  /** The largest delay (default 30,000). */
  maxMs?: number;
  /** A source of randomness in [0, 1) (default `Math.random`). */
  random?: () => number;
}

/** Default first-retry ceiling. */
export const BACKOFF_BASE_MS = 250;
/** Default longest delay. */
export const BACKOFF_MAX_MS = 30_000;

/** Counts attempts and hands out delays; `reset()` after a success. */
export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? BACKOFF_BASE_MS;
    this.maxMs = options.maxMs ?? BACKOFF_MAX_MS;
    this.random = options.random ?? Math.random;
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The next delay: full jitter under the exponential ceiling, at least `floorMs`. */
  next(floorMs = 0): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    const jittered = Math.floor(this.random() * ceiling);
    return Math.max(floorMs, jittered);
  }

  /** Back to the first attempt. */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * Sending paused after retryable refusals (`rate_limited`, `overloaded`…):
 * at least the server's `retry_after_ms`, under a backoff that grows while
 * nothing succeeds. One pause per episode: the refusals of messages sent
 * together do not each push it further. `resume` runs when it ends.
 */
export class RetryPause {
  private until = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly resume: () => void,
    options: BackoffOptions = {},
  ) {
    this.backoff = new Backoff(options);
  }

  /** Whether sending waits now. */
  get active(): boolean {
    return Date.now() < this.until;
  }

  /** A retryable refusal with the server's `details`: pauses (or keeps pausing) and returns the wait in ms. */
  refused(details: unknown): number {
    const now = Date.now();
    const asked = (details as { retry_after_ms?: unknown } | null | undefined)?.retry_after_ms;
    const delayMs = now < this.until ? this.until - now : this.backoff.next(typeof asked === "number" ? asked : 0);
    this.until = Math.max(this.until, now + delayMs);
    if (this.timer !== undefined) clearTimeout(this.timer);
    // The timer always stands for the latest end of the pause; timers may
    // fire a millisecond before `Date.now()` reaches it, so the pause ends
    // when the timer says so.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.until = 0;
      this.resume();
    }, Math.max(0, this.until - now));
    return delayMs;
  }

  /** Something succeeded: the next episode starts from the first delay again. */
  succeeded(): void {
    this.backoff.reset();
  }

  /** No more resuming (the client is closing). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
