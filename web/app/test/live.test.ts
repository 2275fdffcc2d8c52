/**
 * Two people on one board, live: what one does appears for the other
 * within a second and in the same order; edits made offline land once
 * when the network returns; a server restart mid-session is resumed
 * without a reload.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { call } from "../../client/test/integration/setup.js";
import { appFixture, cardOf, columnOf, openBoard, orgWithBoard, outage, SEE_MS, titlesIn, type Person } from "./harness.js";

/** What the issue promises: a change by one appears for the other within this. */
const LIVE_MS = 1_000;

const app = appFixture();

async function twoOnOneBoard(key: string): Promise<{ ada: Person; bob: Person; board: string }> {
  const ada = await app.person("Ada");
  const { org, board } = await orgWithBoard(app.server.url, ada.user, key);
  const bob = await app.person("Bob");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: bob.user.email, role: "member" }, ada.user.token);
  // Ada's account learns of the org at login: reload to see it.
  await openBoard(ada, app.base(), key, board);
  await openBoard(bob, app.base(), key, board);
  return { ada, bob, board };
}

/** Types a new card's title into a column's composer and submits it. */
async function addCard(p: Person, column: string, title: string): Promise<void> {
  const col = columnOf(p.page, column);
  const composer = col.getByRole("textbox", { name: `Title of a new card in ${column}` });
  if (!(await composer.isVisible())) await col.getByRole("button", { name: `+ Add a card to ${column}` }).click();
  await composer.fill(title);
  await composer.press("Enter");
}

/** Drags a card with the mouse onto the end of another column. */
async function drag(p: Person, title: string, column: string): Promise<void> {
  const from = await cardOf(p.page, title).boundingBox();
  const to = await columnOf(p.page, column).locator("ol.cards").boundingBox();
  assert.ok(from && to, "card and column are on screen");
  await p.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await p.page.mouse.down();
  await p.page.mouse.move(to.x + to.width / 2, to.y + to.height - 4, { steps: 12 });
  await p.page.mouse.up();
}

it("a card created by one appears for the other, a drag by the other appears for the first, in the same order, within a second", async () => {
  const { ada, bob } = await twoOnOneBoard("LIVE");
  for (const title of ["Write the brief", "Book the venue", "Print the posters"]) {
    await addCard(ada, "To do", title);
    await cardOf(bob.page, title).waitFor({ timeout: LIVE_MS });
  }
  await drag(bob, "Book the venue", "In progress");
  await columnOf(ada.page, "In progress").locator(".card-title", { hasText: "Book the venue" }).waitFor({ timeout: LIVE_MS });
  for (const column of ["To do", "In progress"]) {
    // Bob's own view settles once the server confirms.
    await bob.page.waitForFunction(() => !document.querySelector(".card[data-key$='-…']"), undefined, { timeout: SEE_MS });
    assert.deepEqual(await titlesIn(ada.page, column), await titlesIn(bob.page, column), column);
  }
  assert.deepEqual(await titlesIn(ada.page, "To do"), ["Write the brief", "Print the posters"]);
  assert.deepEqual(await titlesIn(ada.page, "In progress"), ["Book the venue"]);
  app.expectClean(ada, bob);
});

it("three edits made offline are shown at once, counted in the banner, and land exactly once when the network returns", async () => {
  const { ada, bob } = await twoOnOneBoard("OFFL");
  await addCard(ada, "To do", "Already there");
  await cardOf(bob.page, "Already there").waitFor({ timeout: SEE_MS });

  await outage([ada], async () => {
    await ada.context.setOffline(true);
    const banner = ada.page.getByTestId("connection-banner");
    await banner.waitFor({ timeout: SEE_MS });
    await addCard(ada, "To do", "Offline one");
    await addCard(ada, "To do", "Offline two");
    await drag(ada, "Already there", "Done");
    // Ada sees her edits at once; the banner counts them.
    await cardOf(ada.page, "Offline two").waitFor({ timeout: SEE_MS });
    await ada.page.waitForFunction(() => document.querySelector("[data-testid=connection-banner]")?.getAttribute("data-queued") === "3", undefined, {
      timeout: SEE_MS,
    });
    assert.match((await banner.textContent()) ?? "", /3 edits are waiting/);
    assert.equal(await cardOf(bob.page, "Offline one").count(), 0, "nothing left Ada's browser while offline");
    await ada.context.setOffline(false);
    await banner.waitFor({ state: "detached", timeout: SEE_MS });
  });

  await cardOf(bob.page, "Offline two").waitFor({ timeout: SEE_MS });
  await columnOf(bob.page, "Done").locator(".card-title", { hasText: "Already there" }).waitFor({ timeout: SEE_MS });
  for (const p of [ada, bob]) {
    assert.deepEqual(await titlesIn(p.page, "To do"), ["Offline one", "Offline two"], `${p.name}: each offline card once`);
    assert.deepEqual(await titlesIn(p.page, "Done"), ["Already there"], p.name);
  }
  app.expectClean(ada, bob);
});

it("the server restarted mid-session: the page reconnects and resumes without a reload", async () => {
  const { ada, bob } = await twoOnOneBoard("RSTR");
  await addCard(ada, "To do", "Before the restart");
  await cardOf(bob.page, "Before the restart").waitFor({ timeout: SEE_MS });
  // A marker on the page that a reload would lose.
  await ada.page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

  await outage([ada, bob], async () => {
    await app.server.kill9();
    await ada.page.getByTestId("connection-banner").waitFor({ timeout: SEE_MS });
    await app.server.restart();
    await ada.page.getByTestId("connection-banner").waitFor({ state: "detached", timeout: 30_000 });
    await bob.page.getByTestId("connection-banner").waitFor({ state: "detached", timeout: 30_000 });
  });

  await addCard(bob, "To do", "After the restart");
  await cardOf(ada.page, "After the restart").waitFor({ timeout: SEE_MS });
  assert.equal(await ada.page.evaluate(() => (window as unknown as { marker: number }).marker), 42, "the page was not reloaded");
  assert.deepEqual(await titlesIn(ada.page, "To do"), ["Before the restart", "After the restart"]);
  app.expectClean(ada, bob);
});
