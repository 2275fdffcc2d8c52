/**
 * Cards and columns through the UI, seen live by a second person: the
 * card panel's title, description, labels, assignees and comments; archive
 * and restore; and a column added, renamed, moved, limited and removed.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { call } from "../../client/test/integration/setup.js";
import { appFixture, cardOf, columnOf, openBoard, orgWithBoard, SEE_MS, titlesIn, type Person } from "./harness.js";

const app = appFixture();

async function pair(key: string): Promise<{ ada: Person; bob: Person; board: string }> {
  const ada = await app.person("Ada");
  const { org, board } = await orgWithBoard(app.server.url, ada.user, key);
  await call(app.server.url, "POST", `/boards/${board}/commands`, { type: "create_item", title: "Draft the press release" }, ada.user.token);
  const bob = await app.person("Bob");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: bob.user.email, role: "member" }, ada.user.token);
  await openBoard(ada, app.base(), key, board);
  await openBoard(bob, app.base(), key, board);
  return { ada, bob, board };
}

async function columnNames(p: Person): Promise<string[]> {
  return p.page.locator("section.column h2").allTextContents();
}

it("the card panel: title, description, label, assignee and a comment, each seen live by the other", async () => {
  const { ada, bob } = await pair("PANEL");
  await cardOf(ada.page, "Draft the press release").click();
  const panel = ada.page.getByTestId("card-panel");
  await panel.waitFor({ timeout: SEE_MS });

  await panel.getByLabel("Title").fill("Draft the launch press release");
  await panel.getByLabel("Title").press("Enter");
  await cardOf(bob.page, "Draft the launch press release").waitFor({ timeout: SEE_MS });

  await panel.getByLabel("Description").fill("Quote the customer.");
  await panel.getByRole("button", { name: "Save description" }).click();
  await panel.getByPlaceholder("Add a label").fill("marketing");
  await panel.getByRole("button", { name: "Add", exact: true }).click();
  await panel.getByRole("combobox", { name: "Assign a member" }).selectOption({ label: "Bob" });
  await panel.getByPlaceholder("Write a comment…").fill("Who signs it off?");
  await panel.getByRole("button", { name: "Comment", exact: true }).click();

  const bobCard = cardOf(bob.page, "Draft the launch press release");
  await bobCard.locator(".label", { hasText: "marketing" }).waitFor({ timeout: SEE_MS });
  await bobCard.locator(".avatar[title=Bob]").waitFor({ timeout: SEE_MS });
  await bobCard.click();
  const bobPanel = bob.page.getByTestId("card-panel");
  await bobPanel.waitFor({ timeout: SEE_MS });
  assert.equal(await bobPanel.getByLabel("Description").inputValue(), "Quote the customer.");
  await bobPanel.locator(".comment-body", { hasText: "Who signs it off?" }).waitFor({ timeout: SEE_MS });

  // Bob answers; Ada's open panel shows it without a reload.
  await bobPanel.getByPlaceholder("Write a comment…").fill("Grace does.");
  await bobPanel.getByRole("button", { name: "Comment", exact: true }).click();
  await panel.locator(".comment-body", { hasText: "Grace does." }).waitFor({ timeout: SEE_MS });

  // The history names who did what.
  const history = panel.getByTestId("history");
  await history.locator("li", { hasText: "Bob commented" }).waitFor({ timeout: SEE_MS });
  for (const line of ["Ada created the card", "Ada changed the title to “Draft the launch press release”", "Ada added the label “marketing”", "Ada assigned Bob"]) {
    await history.locator("li", { hasText: line }).waitFor({ timeout: SEE_MS });
  }
  app.expectClean(ada, bob);
});

it("archive takes a card off the board for everyone; restore brings it back", async () => {
  const { ada, bob } = await pair("ARCH");
  await cardOf(ada.page, "Draft the press release").click();
  await ada.page.getByRole("button", { name: "Archive card" }).click();
  await cardOf(bob.page, "Draft the press release").waitFor({ state: "detached", timeout: SEE_MS });
  await ada.page.getByRole("button", { name: "Close card" }).click();
  assert.equal(await cardOf(ada.page, "Draft the press release").count(), 0);

  await bob.page.getByTestId("archived-cards").locator("summary").click();
  await bob.page.getByTestId("archived-cards").getByRole("link", { name: /Draft the press release/ }).click();
  await bob.page.getByRole("button", { name: "Restore card" }).click();
  await cardOf(ada.page, "Draft the press release").waitFor({ timeout: SEE_MS });
  app.expectClean(ada, bob);
});

it("a column added, renamed, moved left, limited and removed through its menu, live for the other", async () => {
  const { ada, bob } = await pair("COLS");
  await ada.page.getByRole("textbox", { name: "New column name" }).fill("Review");
  await ada.page.getByRole("button", { name: "Add column" }).click();
  await bob.page.getByRole("heading", { name: "Review", exact: true }).waitFor({ timeout: SEE_MS });

  const menu = (p: Person, name: string) => columnOf(p.page, name).locator("details.menu");
  await menu(ada, "Review").locator("summary").click();
  await menu(ada, "Review").getByRole("button", { name: "Rename" }).click();
  await ada.page.getByRole("textbox", { name: "Column name", exact: true }).fill("QA");
  await ada.page.keyboard.press("Enter");
  await bob.page.getByRole("heading", { name: "QA", exact: true }).waitFor({ timeout: SEE_MS });

  await menu(ada, "QA").locator("summary").click();
  await menu(ada, "QA").getByRole("button", { name: "Move left" }).click();
  await bob.page.waitForFunction(() => [...document.querySelectorAll("section.column h2")].map((h) => h.textContent).join(",") === "To do,In progress,QA,Done", undefined, {
    timeout: SEE_MS,
  });
  assert.deepEqual(await columnNames(ada), ["To do", "In progress", "QA", "Done"]);

  await menu(ada, "QA").locator("summary").click();
  await menu(ada, "QA").getByLabel("WIP limit").fill("2");
  await menu(ada, "QA").getByRole("button", { name: "Set" }).click();
  await bob.page.waitForFunction(() => [...document.querySelectorAll("[data-testid=column-count]")].some((c) => c.textContent === "0 / 2"), undefined, { timeout: SEE_MS });

  // A column with a card cannot be removed: the reason is given.
  await menu(ada, "To do").locator("summary").click();
  await menu(ada, "To do").getByRole("button", { name: "Remove column" }).click();
  const toast = ada.page.getByTestId("toast-error");
  await toast.waitFor({ timeout: SEE_MS });
  assert.match((await toast.textContent()) ?? "", /“To do” still holds 1 card/);

  await menu(ada, "QA").locator("summary").click();
  await menu(ada, "QA").getByRole("button", { name: "Remove column" }).click();
  await bob.page.getByRole("heading", { name: "QA", exact: true }).waitFor({ state: "detached", timeout: SEE_MS });
  assert.deepEqual(await columnNames(bob), ["To do", "In progress", "Done"]);
  assert.deepEqual(await titlesIn(bob.page, "To do"), ["Draft the press release"]);
  app.expectClean(ada, bob);
});
