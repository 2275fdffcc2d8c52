/**
 * Keyboard only: no click and no pointer from the login on. Tab reaches a
 * column's composer, Space picks a card up, arrows move it, Space drops
 * it (each step announced to screen readers), Enter opens the card and
 * Escape closes it, with focus back on the card.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import type { Page } from "playwright-core";

import { appFixture, columnOf, openBoard, orgWithBoard, SEE_MS, titlesIn } from "./harness.js";

const app = appFixture();

/** Presses Tab until the focused element matches `selector` (a keyboard user's way there). */
async function tabTo(page: Page, what: string, matches: () => boolean, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate(matches)) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`Tab never reached ${what}`);
}

it("keyboard only: create a card, move it to the next column, open and close it", async () => {
  const ada = await app.person("Ada");
  const { board, key } = await orgWithBoard(app.server.url, ada.user, "KEYS");
  await openBoard(ada, app.base(), key, board);
  const page = ada.page;

  await tabTo(page, "the composer button of To do", () => document.activeElement?.textContent === "+ Add a card to To do");
  await page.keyboard.press("Enter");
  await page.keyboard.type("Typed without a mouse");
  await page.keyboard.press("Enter");
  await columnOf(page, "To do").locator(".card-title", { hasText: "Typed without a mouse" }).waitFor({ timeout: SEE_MS });
  await page.waitForFunction(() => !document.querySelector(".card[data-key$='-…']"), undefined, { timeout: SEE_MS });
  await page.keyboard.press("Escape");

  await tabTo(page, "the new card", () => document.activeElement?.classList.contains("card") === true);
  await page.keyboard.press("Space");
  const announcer = page.getByTestId("announcer");
  await page.waitForFunction(() => document.querySelector("[data-testid=announcer]")?.textContent?.startsWith("Picked up"), undefined, { timeout: SEE_MS });
  assert.match((await announcer.textContent()) ?? "", /Picked up KEYS-1 “Typed without a mouse” in To do, position 1 of 1/);
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction(() => document.querySelector("[data-testid=announcer]")?.textContent?.includes("In progress, position 1 of 1"), undefined, { timeout: SEE_MS });
  // The card, shown in its new column, still has the focus.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-key")), "KEYS-1");
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.querySelector("[data-testid=announcer]")?.textContent?.startsWith("Dropped"), undefined, { timeout: SEE_MS });
  assert.match((await announcer.textContent()) ?? "", /Dropped KEYS-1 “Typed without a mouse” in In progress, position 1 of 1/);
  await page.waitForFunction(() => !document.querySelector(".card[data-key$='-…']") && document.querySelectorAll("[data-column] .card").length === 1, undefined, { timeout: SEE_MS });
  assert.deepEqual(await titlesIn(page, "In progress"), ["Typed without a mouse"]);
  assert.deepEqual(await titlesIn(page, "To do"), []);

  // The moved card kept the focus: Enter opens it.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-key")), "KEYS-1");
  await page.keyboard.press("Enter");
  const panel = page.getByTestId("card-panel");
  await panel.waitFor({ timeout: SEE_MS });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "panel-title", "focus moves into the panel");
  assert.match(page.url(), /\/KEYS-1$/);
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached", timeout: SEE_MS });
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-key") === "KEYS-1", undefined, { timeout: SEE_MS });

  // The move is in the server's log, as a move by Ada.
  await page.keyboard.press("Enter");
  await panel.getByTestId("history").locator("li", { hasText: "moved it to In progress" }).waitFor({ timeout: SEE_MS });
  app.expectClean(ada);
});
