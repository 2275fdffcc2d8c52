/**
 * The screenshots in docs/screenshots/ (1280×800, headless Chromium against
 * the real `corkboard` binary): a realistic board made over the REST API,
 * two people logged in through the login page so presence shows, then
 *   board.png       the board, with Grace's avatar and the card she has open;
 *   card-panel.png  Ada's card panel on a card with comments and history;
 *   members.png     the members page as the owner, with an invite link made.
 *
 *   cd web && npm run build -w @corkboard/client && cd app && \
 *     CORKBOARD_BIN=/work/main/target/release/corkboard npm run screenshots
 */

import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { TestServer } from "../../client/test/integration/server.js";
import { call } from "../../client/test/integration/setup.js";

/** docs/screenshots/ of the repository: the nearest directory above this script with a `Cargo.lock` (it runs from .test-build/). */
const OUT = (() => {
  let dir = fileURLToPath(new URL(".", import.meta.url));
  while (!existsSync(join(dir, "Cargo.lock"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("no Cargo.lock above the script: run it inside the repository");
    dir = up;
  }
  return join(dir, "docs/screenshots/");
})();
const SEE_MS = 10_000;
const PASSWORD = "correct horse battery staple";

interface Account {
  id: string;
  name: string;
  email: string;
  token: string;
}

async function account(base: string, name: string, email: string): Promise<Account> {
  await call(base, "POST", "/auth/register", { email, password: PASSWORD, name });
  const login = await call<{ user: { id: string }; access_token: string }>(base, "POST", "/auth/login", { email, password: PASSWORD });
  return { id: login.user.id, name, email, token: login.access_token };
}

async function logIn(page: Page, base: string, who: Account): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => url.pathname !== "/login", { timeout: SEE_MS });
}

/** Waits for the fonts and two frames, so a screenshot shows what settled. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
  await page.waitForTimeout(300);
}

let server: TestServer | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

try {
  server = await TestServer.start({ CORKBOARD_ALLOWED_ORIGINS: "" });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  const base = server.url;
  mkdirSync(OUT, { recursive: true });

  // The data, over REST.
  const ada = await account(base, "Ada Lovelace", "ada@design-studio.example");
  const grace = await account(base, "Grace Hopper", "grace@design-studio.example");
  const org = await call<{ id: string }>(base, "POST", "/orgs", { name: "Design Studio", key: "DS" }, ada.token);
  await call(base, "POST", `/orgs/${org.id}/members`, { email: grace.email, role: "admin" }, ada.token);
  const created = await call<{ board: { id: string; columns: Array<{ id: string; name: string }> } }>(
    base,
    "POST",
    `/orgs/${org.id}/boards`,
    { name: "Website relaunch", columns: ["Backlog", "In progress", "Review", "Done"] },
    ada.token,
  );
  const board = created.board.id;
  const col = Object.fromEntries(created.board.columns.map((c) => [c.name, c.id])) as Record<string, string>;
  const cmd = async (by: Account, command: Record<string, unknown>) =>
    call<{ events: Array<{ event: { type: string; item?: string; number?: number } }> }>(base, "POST", `/boards/${board}/commands`, command, by.token);
  const card = async (by: Account, column: string, title: string, labels: string[], assignees: Account[], description = "") => {
    const ack = await cmd(by, { type: "create_item", title, column: col[column], ...(description ? { description } : {}) });
    const ev = ack.events.find((r) => r.event.type === "item_created")!.event;
    for (const label of labels) await cmd(by, { type: "add_label", item: ev.item, label });
    for (const a of assignees) await cmd(by, { type: "assign_item", item: ev.item, user: a.id });
    return { id: ev.item!, number: ev.number! };
  };

  await card(ada, "Backlog", "Audit the old site's analytics", ["research"], [grace]);
  await card(ada, "Backlog", "Write the accessibility statement", ["content", "a11y"], []);
  await card(grace, "Backlog", "Redirect map for the old URLs", ["seo"], [grace]);
  await card(ada, "Backlog", "Cookie banner copy", ["content", "legal"], [ada]);
  const hero = await card(
    ada,
    "In progress",
    "Homepage hero illustration",
    ["design"],
    [ada],
    "Three options for the hero: the studio's workbench, a city at dusk, or the abstract shapes from the brand book. Needs to work in dark mode.",
  );
  await card(grace, "In progress", "Navigation and footer components", ["frontend"], [grace]);
  const caseStudy = await card(ada, "In progress", "Case study: Harbour Museum", ["content"], [ada, grace]);
  await card(grace, "Review", "Contact form with spam protection", ["frontend", "backend"], [grace]);
  await card(ada, "Review", "Colour tokens and type scale", ["design"], [ada]);
  await card(ada, "Done", "Pick the CMS", ["backend"], [grace]);
  await card(grace, "Done", "Sitemap and page inventory", ["research"], [ada]);
  await card(ada, "Done", "Kick-off workshop notes", [], [ada, grace]);
  // The WIP limit once the column holds its three cards: shown full.
  await call(base, "PUT", `/boards/${board}/columns/${col["In progress"]}/wip-limit`, { limit: 3 }, ada.token);
  // Some history and comments on the hero card.
  await cmd(ada, { type: "edit_item", item: hero.id, title: "Homepage hero illustration (3 options)" });
  await cmd(grace, { type: "add_comment", item: hero.id, body: "The workbench option reads best at small sizes. Can we try it with the new colour tokens?" });
  await cmd(ada, { type: "add_comment", item: hero.id, body: "Yes — I'll post a version with the tokens from the review column by Thursday." });
  await cmd(grace, { type: "add_comment", item: hero.id, body: "Great. Let's keep the city at dusk as the dark-mode variant." });
  await cmd(grace, { type: "add_label", item: hero.id, label: "needs review" });

  // Two people, two contexts.
  const open = async (who: Account): Promise<Page> => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB", timezoneId: "Europe/London", colorScheme: "light" });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error(`${who.name}'s page: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && console.error(`${who.name}'s console: ${m.text()}`));
    await logIn(page, base, who);
    return page;
  };
  const adaPage = await open(ada);
  const gracePage = await open(grace);
  const boardPath = `/o/DS/b/${board}`;
  const heroPath = `${boardPath}/DS-${hero.number}`;
  const casePath = `${boardPath}/DS-${caseStudy.number}`;

  // Grace looks at a card; Ada sees her avatar on the board and on that card.
  await gracePage.goto(`${base}${casePath}`);
  await gracePage.getByTestId("card-panel").waitFor({ timeout: SEE_MS });
  await adaPage.goto(`${base}${boardPath}`);
  await adaPage.locator(".card").nth(11).waitFor({ timeout: SEE_MS });
  await adaPage.locator("[data-testid=presence] [data-user]").first().waitFor({ timeout: SEE_MS });
  await adaPage.getByTestId("card-viewers").first().waitFor({ timeout: SEE_MS });
  await adaPage.mouse.move(0, 0);
  await settle(adaPage);
  await adaPage.screenshot({ path: `${OUT}board.png` });

  // Ada opens the hero card: comments and history loaded.
  await adaPage.goto(`${base}${heroPath}`);
  const panel = adaPage.getByTestId("card-panel");
  await panel.locator(".comment").nth(2).waitFor({ timeout: SEE_MS });
  await panel.locator("[data-testid=history] li").first().waitFor({ timeout: SEE_MS });
  await adaPage.locator("#panel-title").evaluate((el) => (el as HTMLElement).blur());
  // The panel scrolled to its labels, so comments and history are on screen.
  await panel.locator("#labels-title").evaluate((el) => el.scrollIntoView({ block: "start" }));
  await settle(adaPage);
  await adaPage.screenshot({ path: `${OUT}card-panel.png` });

  // The members page, as the owner, with an invite link just made.
  await adaPage.goto(`${base}/o/DS/members`);
  await adaPage.getByText("Grace Hopper").first().waitFor({ timeout: SEE_MS });
  await adaPage.getByTestId("invite-form").getByRole("button", { name: "Create invite link" }).click();
  await adaPage.getByTestId("invite-link").waitFor({ timeout: SEE_MS });
  await adaPage.getByTestId("invite-row").first().waitFor({ timeout: SEE_MS });
  await adaPage.mouse.move(0, 0);
  await settle(adaPage);
  await adaPage.screenshot({ path: `${OUT}members.png` });

  console.log(`saved board.png, card-panel.png, members.png in ${OUT}`);
} finally {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
}
