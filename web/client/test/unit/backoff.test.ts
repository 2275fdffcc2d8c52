import assert from "node:assert/strict";
import { it } from "node:test";

import { Backoff } from "../../src/backoff.js";

it("full jitter under an exponential ceiling, capped, reset after success", () => {
  const top = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0.999999 });
  assert.deepEqual(
    Array.from({ length: 6 }, () => top.next()),
    [99, 199, 399, 799, 999, 999],
  );
  top.reset();
  assert.equal(top.next(), 99);
  const bottom = new Backoff({ baseMs: 100, random: () => 0 });
  assert.equal(bottom.next(), 0, "full jitter may retry at once");
  assert.equal(bottom.next(250), 250, "the server's retry_after_ms is a floor");
});

it("spreads clients out: delays differ under the same ceiling", () => {
  const delays = new Set(Array.from({ length: 50 }, () => new Backoff({ baseMs: 1_000 }).next()));
  assert.ok(delays.size > 40);
});

it("never overflows after many attempts", () => {
  const b = new Backoff({ baseMs: 250, maxMs: 30_000, random: () => 0.5 });
  for (let i = 0; i < 2_000; i++) b.next();
  assert.equal(b.next(), 15_000);
});
