/**
 * The pages around the board: search opens a card on its board; the
 * card panel shows who has a card open; an admin's role change reaches
 * the member's open board at once; API keys are shown once and revoked;
 * ending a login session elsewhere returns that page to the login form;
 * and a card moves under a finger (touch events, as a phone sends them).
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import type { BrowserContext } from "playwright-core";

import { call, type User } from "../../client/test/integration/setup.js";
import { appFixture, cardOf, columnOf, openBoard, orgWithBoard, SEE_MS, titlesIn } from "./harness.js";

const app = appFixture();

async function create(token: string, board: string, title: string, description = ""): Promise<void> {
  await call(app.server.url, "POST", `/boards/${board}/commands`, { type: "create_item", title, description }, token);
}

it("search finds a card by a word of its description and opens it on its board", async () => {
  const ada = await app.person("Ada");
  const { board, key } = await orgWithBoard(app.server.url, ada.user, "SRCH");
  await create(ada.user.token, board, "Fix the login page", "The password field forgets autocomplete");
  await create(ada.user.token, board, "Plan the offsite");
  await ada.page.goto(`${app.base()}/o/${key}`);
  const input = ada.page.getByRole("combobox", { name: "Search cards" });
  await input.fill("autocomplete");
  const hit = ada.page.getByTestId("search-results").getByRole("option").first();
  await hit.waitFor({ timeout: SEE_MS });
  assert.match((await hit.textContent()) ?? "", /SRCH-1.*Fix the login page/);
  assert.equal(await hit.locator("mark").first().textContent(), "autocomplete", "the matched word is marked");
  await input.press("ArrowDown");
  await input.press("Enter");
  const panel = ada.page.getByTestId("card-panel");
  await panel.waitFor({ timeout: SEE_MS });
  assert.equal(await panel.getByLabel("Title").inputValue(), "Fix the login page");
  assert.match(ada.page.url(), new RegExp(`/o/${key}/b/${board}/SRCH-1$`));
  app.expectClean(ada);
});

it("the people on a board see which card each other has open, and a role change reaches an open board at once", async () => {
  const ada = await app.person("Ada");
  const { org, board, key } = await orgWithBoard(app.server.url, ada.user, "PRES");
  await create(ada.user.token, board, "Shared card");
  const bob = await app.person("Bob");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: bob.user.email, role: "member" }, ada.user.token);
  await openBoard(ada, app.base(), key, board);
  await openBoard(bob, app.base(), key, board);

  await ada.page.getByTestId("presence").getByText("Bob").waitFor({ state: "attached", timeout: SEE_MS });
  await cardOf(bob.page, "Shared card").click();
  await cardOf(ada.page, "Shared card").getByTestId("card-viewers").getByText("Bob").waitFor({ state: "attached", timeout: SEE_MS });
  await bob.page.keyboard.press("Escape");
  await cardOf(ada.page, "Shared card").getByTestId("card-viewers").waitFor({ state: "detached", timeout: SEE_MS });

  // Ada makes Bob a viewer from the members page; Bob's open board turns read-only.
  await ada.page.getByRole("link", { name: "Members" }).click();
  const row = ada.page.locator(`[data-testid=member-row][data-user="${bob.user.id}"]`);
  await row.getByTestId("member-role").selectOption("viewer");
  await bob.page.getByText("this board is read-only").waitFor({ timeout: SEE_MS });
  assert.equal(await bob.page.getByRole("button", { name: /Add a card/ }).count(), 0);
  app.expectClean(ada, bob);
});

it("an API key is shown once, works, and stops working when revoked", async () => {
  const ada = await app.person("Ada");
  const { board, key } = await orgWithBoard(app.server.url, ada.user, "KEYZ");
  await ada.page.goto(`${app.base()}/o/${key}/api-keys`);
  const form = ada.page.getByTestId("create-key-form");
  await form.getByLabel("Name").fill("CI deploys");
  await form.getByRole("button", { name: "Create key" }).click();
  const secret = await ada.page.getByTestId("new-api-key-value").inputValue();
  assert.match(secret, /^cbk_/);
  const read = () => fetch(`${app.server.url}/api/v1/boards/${board}`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal((await read()).status, 200, "the key works");

  await ada.page.reload();
  await ada.page.getByTestId("key-row").first().waitFor({ timeout: SEE_MS });
  assert.equal(await ada.page.getByTestId("new-api-key-value").count(), 0, "shown once only");
  assert.ok(!(await ada.page.content()).includes(secret), "the secret is nowhere on the page");
  await ada.page.getByTestId("key-revoke").click();
  await ada.page.locator("[data-testid=key-row][data-revoked=true]").waitFor({ timeout: SEE_MS });
  assert.equal((await read()).status, 401, "the key is refused once revoked");
  app.expectClean(ada);
});

it("ending a login session from the account page returns that browser to the login form", async () => {
  const ada = await app.person("Ada");
  const { board, key } = await orgWithBoard(app.server.url, ada.user, "SESS");
  const laptop = await app.person("Ada's laptop", { user: ada.user });
  await openBoard(laptop, app.base(), key, board);

  await ada.page.goto(`${app.base()}/account`);
  const rows = ada.page.getByTestId("session-row");
  await rows.first().waitFor({ timeout: SEE_MS });
  assert.equal(await ada.page.getByTestId("this-device").count(), 1);
  await ada.page.getByTestId("end-other-sessions").click();
  await laptop.page.getByRole("heading", { name: "Log in to Corkboard" }).waitFor({ timeout: SEE_MS });
  await laptop.page.getByText("Your login session has ended").waitFor({ timeout: SEE_MS });
  // The ended page's reload stays logged out; this one stays in.
  await laptop.page.reload();
  await laptop.page.getByRole("heading", { name: "Log in to Corkboard" }).waitFor({ timeout: SEE_MS });
  await ada.page.reload();
  await ada.page.getByTestId("account-page").waitFor({ timeout: SEE_MS });
  app.expectClean(ada, laptop);
});

it("a card moves under a finger: touch events drag it to another column", async () => {
  const ada = await app.person("Ada");
  const { board, key } = await orgWithBoard(app.server.url, ada.user, "TUCH");
  await create(ada.user.token, board, "Swipe me");
  const phone = await app.browser.newContext({ hasTouch: true, isMobile: true, viewport: { width: 1000, height: 800 } });
  try {
    await touchDrag(phone, ada.user, key, board);
  } finally {
    await phone.close();
  }
});

async function touchDrag(phone: BrowserContext, user: User, key: string, board: string): Promise<void> {
  const page = await phone.newPage();
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${app.base()}/login`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => u.pathname !== "/login");
  await page.goto(`${app.base()}/o/${key}/b/${board}`);
  await cardOf(page, "Swipe me").waitFor({ timeout: SEE_MS });

  const from = (await cardOf(page, "Swipe me").boundingBox())!;
  const to = (await columnOf(page, "In progress").locator("ol.cards").boundingBox())!;
  const cdp = await phone.newCDPSession(page);
  const touch = (type: "touchStart" | "touchMove" | "touchEnd", x: number, y: number) =>
    cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y, id: 1 }] });
  const [x0, y0] = [from.x + from.width / 2, from.y + from.height / 2];
  const [x1, y1] = [to.x + to.width / 2, to.y + to.height / 2];
  await touch("touchStart", x0, y0);
  for (let i = 1; i <= 12; i++) await touch("touchMove", x0 + ((x1 - x0) * i) / 12, y0 + ((y1 - y0) * i) / 12);
  await touch("touchEnd", x1, y1);

  await columnOf(page, "In progress").locator(".card-title", { hasText: "Swipe me" }).waitFor({ timeout: SEE_MS });
  await page.waitForFunction(() => !document.querySelector(".card[data-key$='-…']"), undefined, { timeout: SEE_MS });
  assert.deepEqual(await titlesIn(page, "In progress"), ["Swipe me"]);
  assert.equal(await page.getByTestId("card-panel").count(), 0, "a drag is not a tap: the card did not open");
  assert.deepEqual(errors, []);
}
