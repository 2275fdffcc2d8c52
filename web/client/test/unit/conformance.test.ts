/**
 * The TypeScript fold and positions against the Rust ones: the fixtures
 * are written by a Rust test from the real `Board::apply` and
 * `position::between` (`cargo test -p protocol generated` fails when they
 * are stale), and here every case must come out the same.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { applyEvent, cloneBoard } from "../../src/fold.js";
import type { Board, Recorded } from "../../src/generated/protocol.js";
import { between, isValid } from "../../src/position.js";
import { itemPosition } from "../../src/predict.js";

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), "utf8")) as T;
}

interface FoldCase {
  name: string;
  initial: Board;
  events: Recorded[];
  expected: Board;
}

describe("fold conformance (test/fixtures/fold.json)", () => {
  const { cases } = fixture<{ cases: FoldCase[] }>("fold.json");
  it("has cases", () => assert.ok(cases.length > 0));
  for (const c of cases) {
    it(c.name, () => {
      const board = cloneBoard(c.initial);
      for (const rec of c.events) applyEvent(board, rec);
      assert.deepEqual(board, c.expected);
    });
  }
});

interface Positions {
  between: Array<{ before: string | null; after: string | null; result: string }>;
  is_valid: Array<{ key: string; valid: boolean }>;
  item_position?: Array<{ board: Board; column: string; index: number | null; moving: string | null; result: string }>;
}

describe("position conformance (test/fixtures/positions.json)", () => {
  const positions = fixture<Positions>("positions.json");
  it("between gives the server's key for every pair", () => {
    for (const c of positions.between) assert.equal(between(c.before, c.after), c.result, `between(${c.before}, ${c.after})`);
  });
  it("is_valid agrees", () => {
    for (const c of positions.is_valid) assert.equal(isValid(c.key), c.valid, `isValid(${JSON.stringify(c.key)})`);
  });
  it("item positions for an index agree with decide's", () => {
    for (const c of positions.item_position ?? []) {
      assert.equal(itemPosition(c.board, c.column, c.index, c.moving), c.result);
    }
  });
});
