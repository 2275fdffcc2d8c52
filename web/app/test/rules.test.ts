/**
 * Honest feedback: a move the server refuses snaps back and says why in
 * words; a viewer sees the board read-only; a member removed from the
 * organization loses the board within a second.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { call } from "../../client/test/integration/setup.js";
import { appFixture, cardOf, columnOf, openBoard, orgWithBoard, SEE_MS, titlesIn } from "./harness.js";

const app = appFixture();

/** A command over REST, as another client would send it. */
async function command(token: string, board: string, body: unknown): Promise<void> {
  await call(app.server.url, "POST", `/boards/${board}/commands`, body, token);
}

async function columnId(token: string, board: string, name: string): Promise<string> {
  const b = await call<{ columns: Array<{ id: string; name: string }> }>(app.server.url, "GET", `/boards/${board}`, undefined, token);
  const c = b.columns.find((x) => x.name === name);
  assert.ok(c, name);
  return c.id;
}

it("a move into a full column is refused: the card returns and the reason is shown", async () => {
  const ada = await app.person("Ada");
  const { board, key } = await orgWithBoard(app.server.url, ada.user, "WIP");
  const doing = await columnId(ada.user.token, board, "In progress");
  await command(ada.user.token, board, { type: "set_wip_limit", column: doing, limit: 1 });
  await command(ada.user.token, board, { type: "create_item", title: "Busy", column: doing });
  await command(ada.user.token, board, { type: "create_item", title: "Waiting" });
  await openBoard(ada, app.base(), key, board);

  const count = columnOf(ada.page, "In progress").getByTestId("column-count");
  assert.equal(await count.textContent(), "1 / 1");
  assert.match((await count.getAttribute("class")) ?? "", /count-full/, "a full column is highlighted");

  const from = await cardOf(ada.page, "Waiting").boundingBox();
  const to = await columnOf(ada.page, "In progress").locator("ol.cards").boundingBox();
  assert.ok(from && to);
  await ada.page.mouse.move(from.x + 10, from.y + 10);
  await ada.page.mouse.down();
  await ada.page.mouse.move(to.x + 20, to.y + to.height - 2, { steps: 10 });
  await ada.page.mouse.up();

  const toast = ada.page.getByTestId("toast-error");
  await toast.waitFor({ timeout: SEE_MS });
  assert.match((await toast.textContent()) ?? "", /“In progress” is full: its WIP limit is 1/);
  await ada.page.waitForFunction(() => document.querySelectorAll("[data-column] .card").length === 2, undefined, { timeout: SEE_MS });
  assert.deepEqual(await titlesIn(ada.page, "To do"), ["Waiting"], "the card is back");
  assert.deepEqual(await titlesIn(ada.page, "In progress"), ["Busy"]);
  app.expectClean(ada);
});

it("a viewer sees the board read-only: no composer, no drag, no editable card", async () => {
  const ada = await app.person("Ada");
  const { org, board, key } = await orgWithBoard(app.server.url, ada.user, "VIEW");
  await command(ada.user.token, board, { type: "create_item", title: "Look, don't touch" });
  const vic = await app.person("Vic");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: vic.user.email, role: "viewer" }, ada.user.token);
  await openBoard(vic, app.base(), key, board);

  await vic.page.getByText("this board is read-only").waitFor({ timeout: SEE_MS });
  assert.equal(await vic.page.getByRole("button", { name: /Add a card/ }).count(), 0, "no composer");
  assert.equal(await vic.page.locator("summary", { hasText: "⋯" }).count(), 0, "no column actions");
  assert.equal(await vic.page.getByRole("button", { name: "Add column" }).count(), 0);

  const card = cardOf(vic.page, "Look, don't touch");
  const from = await card.boundingBox();
  const to = await columnOf(vic.page, "Done").boundingBox();
  assert.ok(from && to);
  await vic.page.mouse.move(from.x + 10, from.y + 10);
  await vic.page.mouse.down();
  await vic.page.mouse.move(to.x + 30, to.y + 60, { steps: 8 });
  await vic.page.mouse.up();
  assert.deepEqual(await titlesIn(vic.page, "To do"), ["Look, don't touch"], "a viewer's drag moves nothing");

  await card.focus();
  await vic.page.keyboard.press("Space");
  await vic.page.keyboard.press("ArrowRight");
  await vic.page.keyboard.press("Space");
  assert.deepEqual(await titlesIn(vic.page, "To do"), ["Look, don't touch"], "nor does the keyboard");

  await card.click();
  const panel = vic.page.getByTestId("card-panel");
  await panel.waitFor({ timeout: SEE_MS });
  assert.equal(await panel.getByLabel("Title").getAttribute("readonly"), "", "the title is read-only");
  assert.equal(await panel.getByRole("button", { name: "Archive card" }).count(), 0);
  assert.equal(await panel.getByRole("button", { name: "Comment" }).count(), 0);
  app.expectClean(vic);
});

it("a member (not an admin) changes cards but not the board's structure: no column menu, no new column, no renaming", async () => {
  const ada = await app.person("Ada");
  const { org, board, key } = await orgWithBoard(app.server.url, ada.user, "MEMB");
  await command(ada.user.token, board, { type: "create_item", title: "Member work" });
  const max = await app.person("Max");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: max.user.email, role: "member" }, ada.user.token);
  await openBoard(max, app.base(), key, board);
  assert.equal(await max.page.locator("details.menu summary", { hasText: "⋯" }).count(), 0, "no column menu");
  assert.equal(await max.page.getByRole("button", { name: "Add column" }).count(), 0, "no new column");
  assert.equal(await max.page.getByRole("button", { name: /Rename/ }).count(), 0, "no renaming the board");
  // Cards are theirs to change.
  await columnOf(max.page, "To do").getByRole("button", { name: "+ Add a card to To do" }).click();
  await max.page.getByRole("textbox", { name: "Title of a new card in To do" }).fill("Added by a member");
  await max.page.keyboard.press("Enter");
  await max.page.waitForFunction(() => !document.querySelector(".card[data-key$='-…']") && document.querySelectorAll(".card").length === 2, undefined, { timeout: SEE_MS });
  assert.deepEqual(await titlesIn(max.page, "To do"), ["Member work", "Added by a member"]);
  await max.page.goto(`${app.base()}/o/${key}`);
  await max.page.getByRole("link", { name: "Launch" }).waitFor({ timeout: SEE_MS });
  assert.equal(await max.page.getByRole("button", { name: "Create board" }).count(), 0, "no new board");
  assert.equal(await max.page.getByRole("button", { name: /Archive board/ }).count(), 0, "no archiving");
  app.expectClean(max);
});

it("a member removed from the organization loses the board within a second", async () => {
  const ada = await app.person("Ada");
  const { org, board, key } = await orgWithBoard(app.server.url, ada.user, "GONE");
  await command(ada.user.token, board, { type: "create_item", title: "Secret plan" });
  const bob = await app.person("Bob");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: bob.user.email, role: "member" }, ada.user.token);
  await openBoard(bob, app.base(), key, board);
  await cardOf(bob.page, "Secret plan").waitFor({ timeout: SEE_MS });

  const removed = Date.now();
  await call(app.server.url, "DELETE", `/orgs/${org}/members/${bob.user.id}`, undefined, ada.user.token);
  await bob.page.getByTestId("board-lost").waitFor({ timeout: 1_000 });
  const after = Date.now() - removed;
  assert.ok(after < 1_000, `${after} ms`);
  assert.equal(await bob.page.locator(".card").count(), 0, "no card of the board is left on the page");
  // The account is read again (the organization leaves the switcher), and the page still says why.
  await bob.page.waitForFunction((k) => ![...document.querySelectorAll(".org-switch option")].some((o) => o.textContent?.includes(`(${k})`)), key, { timeout: SEE_MS });
  assert.match((await bob.page.getByTestId("board-lost").textContent()) ?? "", /no longer have access/);
  app.expectClean(bob);
});
