/**
 * The app in a real browser: Debian's Chromium driven by playwright-core
 * (never a downloaded browser: `CHROMIUM_PATH`, default /usr/bin/chromium)
 * against the real `corkboard` binary, whose embedded build is the app
 * under test. Each test file gets one server (its own managed PostgreSQL)
 * and one browser; each person in a test is a browser context of their own.
 *
 * The server runs without `CORKBOARD_ALLOWED_ORIGINS`: the page's socket is
 * allowed because it is the server's own origin, as for a user who ran
 * `cargo run --release` with no configuration.
 *
 * Every page records its console errors and uncaught exceptions; a test
 * ends with `expectClean()`. Network failures the test causes on purpose
 * (the server killed, the context offline) are Chromium's own messages
 * about the socket and fetches, and are expected only inside
 * `outage(...)`. Likewise an answer the test makes the server refuse on
 * purpose (a wrong password, a used link) is Chromium's "Failed to load
 * resource … 4xx", expected only inside `refusals(...)`.
 */

import assert from "node:assert/strict";
import { after, before } from "node:test";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { TestServer } from "../../client/test/integration/server.js";
import { call, newUser, type User } from "../../client/test/integration/setup.js";

/** Longest wait for anything a person would see (most take milliseconds). */
export const SEE_MS = 10_000;

/** Chromium's own messages about a connection the test broke on purpose. */
const NETWORK_NOISE = /WebSocket connection to .* failed|Failed to load resource: net::ERR_|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|ERR_NETWORK_CHANGED/;

/** Chromium's message about a request the server refused with a 4xx. */
const REFUSAL = /^Failed to load resource: the server responded with a status of 4\d\d/;

export interface Person {
  user: User;
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors so far. */
  errors: string[];
  /** While true, Chromium's network-failure messages are expected. */
  outage: boolean;
  /** While true, Chromium's messages about 4xx answers are expected. */
  refusing: boolean;
}

export interface AppFixture {
  readonly server: TestServer;
  readonly browser: Browser;
  /** The origin pages are opened at (`127.0.0.1` unless asked otherwise). */
  base(host?: "127.0.0.1" | "localhost"): string;
  /** A new account (made over REST), logged in through the login page in a context of its own. */
  person(name: string, options?: { host?: "127.0.0.1" | "localhost"; user?: User }): Promise<Person>;
  /** A browser context of its own, logged in to nothing (its page is blank); `user` is who they will be. */
  visitor(name: string, user: User): Promise<Person>;
  /** Fails on any console error of the people of this file. */
  expectClean(...people: Person[]): void;
}

/** One server and one browser for the test file that calls this. */
export function appFixture(): AppFixture {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  before(async () => {
    server = await TestServer.start({ CORKBOARD_ALLOWED_ORIGINS: "" });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });
  const fixture: AppFixture = {
    get server() {
      assert.ok(server, "the file's server is not started yet");
      return server;
    },
    get browser() {
      assert.ok(browser, "the file's browser is not started yet");
      return browser;
    },
    base(host = "127.0.0.1") {
      return `http://${host}:${fixture.server.port}`;
    },
    async visitor(name, user) {
      const context = await fixture.browser.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      const person: Person = { user, name, context, page, errors: [], outage: false, refusing: false };
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        if (person.outage && NETWORK_NOISE.test(msg.text())) return;
        if (person.refusing && REFUSAL.test(msg.text())) return;
        person.errors.push(`console: ${msg.text()}`);
      });
      page.on("pageerror", (e) => person.errors.push(`page error: ${e.message}`));
      return person;
    },
    async person(name, options = {}) {
      const user = options.user ?? (await newUser(fixture.server.url, name));
      const person = await fixture.visitor(name, user);
      const { page } = person;
      await page.goto(`${fixture.base(options.host)}/`);
      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL((url) => url.pathname !== "/login", { timeout: SEE_MS });
      return person;
    },
    expectClean(...people) {
      for (const p of people) assert.deepEqual(p.errors, [], `${p.name}'s page logged errors`);
    },
  };
  return fixture;
}

/** Runs `during` with the network failures it causes expected on `people`'s pages. */
export async function outage<T>(people: Person[], during: () => Promise<T>): Promise<T> {
  for (const p of people) p.outage = true;
  try {
    return await during();
  } finally {
    for (const p of people) p.outage = false;
  }
}

/** Runs `during` with the 4xx answers it causes on purpose expected on `people`'s pages. */
export async function refusals<T>(people: Person[], during: () => Promise<T>): Promise<T> {
  for (const p of people) p.refusing = true;
  try {
    return await during();
  } finally {
    for (const p of people) p.refusing = false;
  }
}

/** An organization of `owner` with one board ("To do", "In progress", "Done"), made over REST. */
export async function orgWithBoard(base: string, owner: User, key: string, name = "Launch"): Promise<{ org: string; board: string; key: string }> {
  const org = await call<{ id: string }>(base, "POST", "/orgs", { name: `${key} team`, key }, owner.token);
  const created = await call<{ board: { id: string } }>(base, "POST", `/orgs/${org.id}/boards`, { name }, owner.token);
  return { org: org.id, board: created.board.id, key };
}

/** Opens a board's page and waits for its columns. */
export async function openBoard(p: Person, base: string, key: string, board: string): Promise<void> {
  await p.page.goto(`${base}/o/${key}/b/${board}`);
  await p.page.locator("[data-column]").first().waitFor({ timeout: SEE_MS });
}

/** The titles of a column's cards, in order. */
export async function titlesIn(page: Page, column: string): Promise<string[]> {
  return page.locator("section.column", { has: page.getByRole("heading", { name: column, exact: true }) }).locator(".card-title").allTextContents();
}

/** A column's section. */
export function columnOf(page: Page, column: string) {
  return page.locator("section.column", { has: page.getByRole("heading", { name: column, exact: true }) });
}

/** A card by its title. */
export function cardOf(page: Page, title: string) {
  return page.locator(".card", { has: page.locator(".card-title", { hasText: title }) });
}

export { call, newUser, type User };
