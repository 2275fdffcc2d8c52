/**
 * Accessibility: axe-core (from npm, evaluated in the page) finds no
 * serious or critical violation on the login page, a board with cards,
 * labels, assignees and a full column, the card panel, and the members
 * page; nor on the account's pages: forgotten password, reset and
 * verification links (each with its error shown), the note asking to
 * confirm the address, and the account page.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { it } from "node:test";

import type { Page } from "playwright-core";

import { call } from "../../client/test/integration/setup.js";
import { appFixture, cardOf, openBoard, orgWithBoard, refusals, SEE_MS } from "./harness.js";

const app = appFixture();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline
  // script) stays on for the app.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

it("no serious or critical violation on the login, board, card and members pages", async () => {
  const login = await app.browser.newPage();
  await login.goto(`${app.base()}/login`);
  await login.getByLabel("Email").waitFor({ timeout: SEE_MS });
  assert.deepEqual(await seriousViolations(login), [], "login page");
  await login.close();

  const ada = await app.person("Ada");
  const { org, board, key } = await orgWithBoard(app.server.url, ada.user, "AXE");
  const bob = await app.person("Bob");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: bob.user.email, role: "member" }, ada.user.token);
  const b = await call<{ columns: Array<{ id: string; name: string }> }>(app.server.url, "GET", `/boards/${board}`, undefined, ada.user.token);
  const doing = b.columns.find((c) => c.name === "In progress")!.id;
  await call(app.server.url, "POST", `/boards/${board}/commands`, { type: "set_wip_limit", column: doing, limit: 1 }, ada.user.token);
  for (const [title, column] of [["Audit the colours", undefined], ["Label the icons", doing]] as const) {
    const ack = await call<{ events?: Array<{ event: { item?: string } }> }>(
      app.server.url,
      "POST",
      `/boards/${board}/commands`,
      { type: "create_item", title, ...(column ? { column } : {}) },
      ada.user.token,
    );
    void ack;
  }
  await openBoard(ada, app.base(), key, board);
  await openBoard(bob, app.base(), key, board);
  await cardOf(ada.page, "Audit the colours").click();
  await ada.page.getByTestId("card-panel").waitFor({ timeout: SEE_MS });
  await ada.page.getByPlaceholder("Add a label").fill("a11y");
  await ada.page.getByRole("button", { name: "Add", exact: true }).click();
  await ada.page.getByRole("combobox", { name: "Assign a member" }).selectOption({ label: "Bob" });
  await ada.page.getByPlaceholder("Write a comment…").fill("Contrast first.");
  await ada.page.getByRole("button", { name: "Comment", exact: true }).click();
  await ada.page.locator(".comment-body", { hasText: "Contrast first." }).waitFor({ timeout: SEE_MS });
  assert.deepEqual(await seriousViolations(ada.page), [], "card panel");

  await ada.page.keyboard.press("Escape");
  await ada.page.getByTestId("card-panel").waitFor({ state: "detached", timeout: SEE_MS });
  await ada.page.locator(".label", { hasText: "a11y" }).waitFor({ timeout: SEE_MS });
  assert.deepEqual(await seriousViolations(ada.page), [], "board page");
  assert.deepEqual(await seriousViolations(bob.page), [], "board page with presence");

  await ada.page.getByRole("link", { name: "Members" }).click();
  await ada.page.getByTestId("members-table").waitFor({ timeout: SEE_MS });
  assert.deepEqual(await seriousViolations(ada.page), [], "members page");
  app.expectClean(ada, bob);
});

it("no serious or critical violation on the forgotten password, reset, verification and account pages", async () => {
  const cleo = await app.person("Cleo");
  const page = cleo.page;
  // The note asking to confirm the address, on a logged-in page.
  await page.getByTestId("verify-banner").waitFor({ timeout: SEE_MS });
  assert.deepEqual(await seriousViolations(page), [], "home with the verification note");

  await page.goto(`${app.base()}/account`);
  await page.getByTestId("sessions-table").waitFor({ timeout: SEE_MS });
  assert.deepEqual(await seriousViolations(page), [], "account page");

  await refusals([cleo], async () => {
    // Link pages with a token that is not valid: each shows the server's words.
    await page.goto(`${app.base()}/verify-email?token=cbv_not-a-token`);
    await page.getByTestId("verify-page").getByRole("alert").waitFor({ timeout: SEE_MS });
    assert.deepEqual(await seriousViolations(page), [], "verification page, failed");

    await page.goto(`${app.base()}/reset-password?token=cbp_not-a-token`);
    await page.getByLabel(/^New password/).fill("a long enough password");
    await page.getByLabel("Repeat the new password").fill("a long enough password");
    await page.getByRole("button", { name: "Save the new password" }).click();
    await page.getByTestId("reset-bad-link").waitFor({ timeout: SEE_MS });
    assert.deepEqual(await seriousViolations(page), [], "reset page, link refused");
  });

  const visitor = await app.browser.newPage();
  await visitor.goto(`${app.base()}/forgot-password`);
  await visitor.getByLabel("Email").fill("someone@example.com");
  await visitor.getByRole("button", { name: "Send the link" }).click();
  await visitor.getByTestId("forgot-sent").waitFor({ timeout: SEE_MS });
  assert.deepEqual(await seriousViolations(visitor), [], "forgotten password page, sent");
  await visitor.close();
  app.expectClean(cleo);
});
