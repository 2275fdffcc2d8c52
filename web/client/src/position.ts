/**
 * Fractional-indexing position keys: a port of `protocol/src/position.rs`.
 *
 * A key is a base-62 fraction written as its digits over `0-9A-Za-z` (ASCII
 * order, so plain string comparison orders keys like the fractions they
 * stand for). A key is never empty and never ends in `0`. The server
 * decides every real position; the client computes the same keys only to
 * predict where its own optimistic edits land, and the conformance fixtures
 * (`test/fixtures/positions.json`, written by a Rust test) prove both
 * implementations give the same key for the same neighbours.
 */

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE = DIGITS.length;

/** The key {@link between} returns for an empty list: the middle digit. */
export const FIRST = "V";

function digitValue(ch: string | undefined): number | undefined {
  if (ch === undefined) return undefined;
  const code = ch.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 65 + 10;
  if (code >= 97 && code <= 122) return code - 97 + 36;
  return undefined;
}

function digit(value: number): string {
  return DIGITS.charAt(Math.min(value, BASE - 1));
}

/** Whether `key` is a well-formed position: non-empty, only `0-9A-Za-z`, not ending in `0`. */
export function isValid(key: string): boolean {
  if (key.length === 0 || key.endsWith("0")) return false;
  for (let i = 0; i < key.length; i++) {
    if (digitValue(key[i]) === undefined) return false;
  }
  return true;
}

/**
 * A key strictly between `before` and `after`; `null` is an open end. An
 * end that is not a valid key counts as open, and `after` is ignored when
 * it is not greater than `before` (exactly as the server does).
 */
export function between(before: string | null, after: string | null): string {
  const low = before !== null && isValid(before) ? before : null;
  const high = after !== null && isValid(after) && (low === null || low < after) ? after : null;
  if (low === null && high === null) return FIRST;
  if (low !== null && high === null) return stepUp(low);
  if (low === null && high !== null) return stepDown(high);
  return midpoint(low as string, high as string);
}

/** The shortest key greater than `low`: bump the first digit that is not `z`, or append `1`. */
function stepUp(low: string): string {
  for (let i = 0; i < low.length; i++) {
    if (low[i] !== "z") return low.slice(0, i) + digit((digitValue(low[i]) ?? 0) + 1);
  }
  return low + "1";
}

/** A short key just below `high`: lower the first non-zero digit, or turn a final `1` into `0z`. */
function stepDown(high: string): string {
  let i = 0;
  while (i < high.length && high[i] === "0") i++;
  if (i === high.length) return FIRST;
  const value = digitValue(high[i]) ?? 1;
  const prefix = high.slice(0, i);
  if (value > 1) return prefix + digit(value - 1);
  if (high.length > i + 1) return prefix + high[i];
  return prefix + "0z";
}

/** rocicorp's midpoint: a key strictly between `low < high`. */
function midpoint(lowKey: string, highKey: string): string {
  let out = "";
  let low = lowKey;
  let high: string | null = highKey;
  for (;;) {
    if (high !== null) {
      let common = 0;
      while (common < high.length && (low[common] ?? "0") === high[common]) common++;
      out += high.slice(0, common);
      low = low.slice(common);
      const rest: string = high.slice(common);
      high = rest.length === 0 ? null : rest;
    }
    const lowDigit = digitValue(low[0]) ?? 0;
    const highDigit = high === null ? BASE : (digitValue(high[0]) ?? BASE);
    if (highDigit > lowDigit + 1) {
      return out + digit(Math.ceil((lowDigit + highDigit) / 2));
    }
    if (high !== null && high.length > 1) {
      return out + high[0];
    }
    out += digit(lowDigit);
    low = low.slice(1);
    high = null;
  }
}

/** The key for inserting at `index` among sorted `keys` (`null`: at the end). */
export function keyAt(keys: readonly string[], index: number | null | undefined): string {
  const at = index === null || index === undefined ? keys.length : Math.min(index, keys.length);
  const before = at > 0 ? (keys[at - 1] ?? null) : null;
  const after = keys[at] ?? null;
  return between(before, after);
}
