/**
 * A newcomer without docs: registers on the login page, creates an
 * organization and a board, invites a teammate by email address; the
 * teammate opens the mailed link (read from the server's development
 * outbox), creates an account, joins, and both work on the board.
 * The teammate uses `localhost`, the owner `127.0.0.1`: the server's own
 * origin is allowed for the socket under either name with no setting.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import type { Browser, Page } from "playwright-core";

import { appFixture, cardOf, SEE_MS } from "./harness.js";
import { waitForMail } from "./outbox.js";

const app = appFixture();

async function fresh(browser: Browser, errors: string[]): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  return page;
}

async function register(page: Page, name: string, email: string): Promise<void> {
  await page.getByRole("link", { name: /Create an account/ }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
}

it("register, create an organization and a board, invite a teammate by email who joins from the mailed link and sees the board live", async () => {
  const errors: string[] = [];
  const owner = await fresh(app.browser, errors);
  await owner.goto(`${app.base("127.0.0.1")}/`);
  await register(owner, "Nora Newcomer", `nora-${Date.now()}@example.com`);

  await owner.getByRole("heading", { name: "Create your first organization" }).waitFor({ timeout: SEE_MS });
  await owner.getByLabel("Name").fill("Northwind Design");
  assert.equal(await owner.getByLabel("Key").inputValue(), "ND", "the key is suggested from the name");
  await owner.getByRole("button", { name: "Create organization" }).click();

  await owner.getByRole("heading", { name: "Northwind Design boards" }).waitFor({ timeout: SEE_MS });
  await owner.getByLabel("Board name").fill("Spring launch");
  await owner.getByRole("button", { name: "Create board" }).click();
  await owner.locator("[data-column]").first().waitFor({ timeout: SEE_MS });
  const boardUrl = owner.url();

  const tom = `tom-${Date.now()}@example.com`;
  await owner.getByRole("link", { name: "Members" }).click();
  const invite = owner.getByTestId("invite-form");
  assert.equal(await invite.getByRole("button").textContent(), "Create invite link", "with no address the form makes a link to send yourself");
  await invite.getByLabel("Email (optional)").fill(tom);
  await invite.getByRole("button", { name: "Send invite" }).click();
  const shown = await owner.getByTestId("invite-link-value").inputValue();
  assert.match(shown, /\/invite\/cbi_[0-9a-f]+$/);
  await owner.getByText(`Corkboard is sending the link to ${tom}.`, { exact: false }).waitFor({ timeout: SEE_MS });

  // The mail carries the same link, on the public URL (localhost by default).
  const mail = await waitForMail(app.server.dataDir, tom, "invited you to join Northwind Design");
  const mailed = /https?:\/\/\S+\/invite\/cbi_[0-9a-f]+/.exec(mail.text)?.[0];
  assert.ok(mailed, `no invite link in the mail:\n${mail.text}`);
  assert.equal(new URL(mailed).pathname, new URL(shown).pathname, "the mail carries the link the owner was shown");
  assert.equal(new URL(mailed).hostname, "localhost");

  const mate = await fresh(app.browser, errors);
  await mate.goto(mailed);
  await mate.getByTestId("invite-register").click();
  await mate.getByLabel("Name").fill("Tom Teammate");
  await mate.getByLabel("Email").fill(tom);
  await mate.getByLabel("Password").fill("another long password");
  await mate.getByRole("button", { name: "Create account" }).click();
  await mate.getByTestId("invite-accept").click();
  await mate.getByRole("heading", { name: "Northwind Design boards" }).waitFor({ timeout: SEE_MS });
  await mate.getByRole("link", { name: "Spring launch" }).click();
  await mate.locator("[data-column]").first().waitFor({ timeout: SEE_MS });

  await owner.goto(boardUrl);
  await owner.getByRole("button", { name: "+ Add a card to To do" }).click();
  await owner.getByRole("textbox", { name: "Title of a new card in To do" }).fill("Hello from Nora");
  await owner.keyboard.press("Enter");
  await cardOf(mate, "Hello from Nora").waitFor({ timeout: SEE_MS });
  await mate.getByTestId("presence").getByText("Nora Newcomer").waitFor({ state: "attached", timeout: SEE_MS });

  assert.deepEqual(errors, []);
});
