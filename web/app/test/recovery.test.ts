/**
 * Account recovery and lifecycle in the app, with the mail read from the
 * server's development outbox (`<data dir>/mail/*.eml`) and its links
 * followed as a person would:
 *   - a forgotten password: the same answer for any address, the mailed
 *     link, a new password; every login session ends, the new password
 *     logs in and the old one is refused, the link works once;
 *   - the mailed verification link confirms the address and the note
 *     asking for it goes away; a link replaced by a newer one says so;
 *   - the account page: notification choices persist, the password
 *     changes (the other sessions end), and the account is deleted.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { appFixture, call, orgWithBoard, refusals, SEE_MS, type Person } from "./harness.js";
import { addressOf, linkTo, readOutbox, waitForMail } from "./outbox.js";

const app = appFixture();

const NEW_PASSWORD = "a much better passphrase";

/** Logs in through the login page already open on `p`'s page. */
async function logIn(p: Person, password: string): Promise<void> {
  await p.page.getByLabel("Email").fill(p.user.email);
  await p.page.getByLabel("Password").fill(password);
  await p.page.getByRole("button", { name: "Log in" }).click();
}

/** The status of a REST call with `token`. */
async function statusOf(path: string, token: string): Promise<number> {
  return (await fetch(`${app.server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
}

it("a forgotten password is reset from the mailed link: every session ends, the new password logs in, the old one and the used link are refused", async () => {
  // Ada is logged in on one computer and has forgotten her password on another.
  const ada = await app.person("Ada");
  const other = await app.visitor("Ada elsewhere", ada.user);
  const page = other.page;
  await page.goto(`${app.base()}/login`);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.waitForURL((u) => u.pathname === "/forgot-password", { timeout: SEE_MS });

  // An address without an account gets the same words (and no mail).
  const stranger = `nobody-${Date.now()}@example.com`;
  const sent = page.getByTestId("forgot-sent");
  await page.getByLabel("Email").fill(stranger);
  await page.getByLabel("Email").press("Enter");
  await sent.filter({ hasText: stranger }).waitFor({ timeout: SEE_MS });
  const toStranger = (await sent.textContent())!.replace(stranger, "…");
  await page.getByLabel("Email").fill(ada.user.email);
  await page.getByRole("button", { name: "Send again" }).click();
  await sent.filter({ hasText: ada.user.email }).waitFor({ timeout: SEE_MS });
  assert.equal((await sent.textContent())!.replace(ada.user.email, "…"), toStranger);

  const mail = await waitForMail(app.server.dataDir, ada.user.email, "Reset your Corkboard password");
  const link = linkTo(mail, "/reset-password");
  assert.equal(link.origin, `http://localhost:${app.server.port}`, "links start with the public URL (by default localhost and the bound port)");
  assert.match(link.searchParams.get("token") ?? "", /^cbp_[0-9a-f]{64}$/);
  assert.ok(!readOutbox(app.server.dataDir).some((m) => addressOf(m.to) === stranger), "nothing is mailed to an address without an account");

  // The link, as a person would open it (the public URL's origin).
  await page.goto(link.href);
  const form = page.getByTestId("reset-page");
  await form.getByLabel(/^New password/).fill(NEW_PASSWORD);
  await form.getByLabel("Repeat the new password").fill("something else entirely");
  await form.getByRole("button", { name: "Save the new password" }).click();
  await form.getByRole("alert").filter({ hasText: "The two passwords differ" }).waitFor({ timeout: SEE_MS });
  await form.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
  await form.getByRole("button", { name: "Save the new password" }).click();
  await page.waitForURL((u) => u.pathname === "/login", { timeout: SEE_MS });
  await page.getByTestId("login-notice").filter({ hasText: "Your password is changed" }).waitFor({ timeout: SEE_MS });

  // Every login session ended: Ada's REST token and her other browser.
  assert.equal(await statusOf("/me", ada.user.token), 401);
  await refusals([ada], async () => {
    await ada.page.reload();
    await ada.page.getByRole("button", { name: "Log in" }).waitFor({ timeout: SEE_MS });
  });

  // The new password logs in, at once: a login in the same wall-clock
  // second as the reset must work (before the server revoked the ended
  // sessions themselves, its access token was refused and the page said
  // "Could not load your account.").
  await logIn(other, NEW_PASSWORD);
  await page.waitForURL((u) => u.pathname === "/", { timeout: SEE_MS });
  await page.getByRole("heading", { name: "Create your first organization" }).waitFor({ timeout: SEE_MS });

  // The old one is refused.
  await refusals([ada], async () => {
    await logIn(ada, ada.user.password);
    await ada.page.getByRole("alert").waitFor({ timeout: SEE_MS });
  });
  assert.equal(new URL(ada.page.url()).pathname, "/login");

  // The link worked once: the server's words say so, with the way to a new one.
  await page.goto(link.href);
  await form.getByLabel(/^New password/).fill("yet another passphrase");
  await form.getByLabel("Repeat the new password").fill("yet another passphrase");
  await refusals([other], () => form.getByRole("button", { name: "Save the new password" }).click());
  const bad = form.getByTestId("reset-bad-link");
  await refusals([other], () => bad.waitFor({ timeout: SEE_MS }));
  assert.equal(await bad.getAttribute("role"), "alert");
  assert.match((await bad.textContent()) ?? "", /^This link is not valid: it was used, replaced by a newer one, or has expired\. Ask for a new link\.$/);
  await bad.getByRole("link", { name: "Ask for a new link" }).click();
  await page.waitForURL((u) => u.pathname === "/forgot-password", { timeout: SEE_MS });
  app.expectClean(ada, other);
});

it("the mailed link confirms the address and the note asking for it goes away; a link replaced by a newer one says so", async () => {
  // Links open on the public URL's origin (localhost): Vera uses it too.
  const vera = await app.person("Vera", { host: "localhost" });
  const base = app.base("localhost");
  const banner = vera.page.getByTestId("verify-banner");
  await banner.filter({ hasText: vera.user.email }).waitFor({ timeout: SEE_MS });
  const first = await waitForMail(app.server.dataDir, vera.user.email, "Confirm your email address");

  // Sent again: the first link stops working.
  await banner.getByRole("button", { name: "Send the link again" }).click();
  await banner.getByTestId("resend-status").filter({ hasText: "A new link is on its way" }).waitFor({ timeout: SEE_MS });
  const second = await waitForMail(app.server.dataDir, vera.user.email, "Confirm your email address", { count: 2 });
  const oldLink = linkTo(first, "/verify-email");
  const newLink = linkTo(second, "/verify-email");
  assert.equal(newLink.origin, base);
  assert.notEqual(oldLink.href, newLink.href);

  const page = vera.page.getByTestId("verify-page");
  await refusals([vera], async () => {
    await vera.page.goto(oldLink.href);
    await page.getByRole("alert").filter({ hasText: "This link is not valid: it was used, replaced by a newer one, or has expired." }).waitFor({ timeout: SEE_MS });
  });
  // Logged in, the failure offers a new link.
  await page.getByRole("button", { name: "Send the link again" }).waitFor({ timeout: SEE_MS });

  await vera.page.goto(newLink.href);
  await page.getByTestId("verify-done").filter({ hasText: "Your email address is confirmed." }).waitFor({ timeout: SEE_MS });
  await page.getByRole("link", { name: "Go to your boards" }).click();
  await vera.page.getByRole("heading", { name: "Create your first organization" }).waitFor({ timeout: SEE_MS });
  assert.equal(await banner.count(), 0, "no note once the address is confirmed");
  await vera.page.reload();
  await vera.page.getByRole("heading", { name: "Create your first organization" }).waitFor({ timeout: SEE_MS });
  assert.equal(await banner.count(), 0, "nor after a reload");
  await vera.page.goto(`${base}/account`);
  await vera.page.getByTestId("email-status").filter({ hasText: "Confirmed" }).waitFor({ timeout: SEE_MS });
  const me = await call<{ email_verified: boolean }>(app.server.url, "GET", "/me", undefined, vera.user.token);
  assert.equal(me.email_verified, true);

  // The used link again, now confirmed: it says the address is confirmed already.
  await refusals([vera], async () => {
    await vera.page.goto(newLink.href);
    await page.getByTestId("verify-done").filter({ hasText: "is already confirmed" }).waitFor({ timeout: SEE_MS });
  });
  app.expectClean(vera);
});

it("the account page: notification choices persist, the password changes and the other sessions end, the account is deleted", async () => {
  const ada = await app.person("Ada");
  const { org } = await orgWithBoard(app.server.url, ada.user, "ACCT");
  await ada.page.goto(`${app.base()}/account`);
  const account = ada.page.getByTestId("account-page");
  await account.getByTestId("email-status").filter({ hasText: "Not confirmed" }).waitFor({ timeout: SEE_MS });
  await account.getByTestId("session-row").nth(1).waitFor({ timeout: SEE_MS });
  assert.equal(await account.getByTestId("session-row").count(), 2, "the page's login and the test's REST login");

  // Mentions off, with the keyboard: kept across a reload and in GET /me.
  const mentioned = account.getByRole("checkbox", { name: "When someone mentions me in a comment" });
  const assigned = account.getByRole("checkbox", { name: "When someone assigns me a card" });
  assert.equal(await mentioned.isChecked(), true);
  await mentioned.focus();
  await ada.page.keyboard.press("Space");
  await ada.page.getByTestId("announcer").filter({ hasText: "Mention emails are off." }).waitFor({ timeout: SEE_MS });
  await ada.page.reload();
  await mentioned.waitFor({ timeout: SEE_MS });
  assert.equal(await mentioned.isChecked(), false);
  assert.equal(await assigned.isChecked(), true);
  const me = await call<{ notifications: { assigned: boolean; mentioned: boolean } }>(app.server.url, "GET", "/me", undefined, ada.user.token);
  assert.deepEqual(me.notifications, { assigned: true, mentioned: false });

  // The password: a wrong current one is refused in words, then changed.
  const change = account.getByTestId("change-password");
  await change.getByLabel("Current password").fill("not my password");
  await change.getByLabel("New password").fill(NEW_PASSWORD);
  await refusals([ada], async () => {
    await change.getByRole("button", { name: "Change password" }).click();
    await change.getByRole("alert").filter({ hasText: "The password is wrong." }).waitFor({ timeout: SEE_MS });
  });
  await change.getByLabel("Current password").fill(ada.user.password);
  await change.getByLabel("New password").fill(NEW_PASSWORD);
  await change.getByRole("button", { name: "Change password" }).click();
  await change.getByTestId("password-changed").filter({ hasText: "Every other login session was ended" }).waitFor({ timeout: SEE_MS });
  assert.equal(await statusOf("/me", ada.user.token), 401, "the other session (the REST login) ended");
  await ada.page.waitForFunction(() => document.querySelectorAll("[data-testid=session-row]").length === 1, undefined, { timeout: SEE_MS });
  assert.equal(await account.getByTestId("session-row").getAttribute("data-current"), "true", "this one goes on");

  // Deleting: only once the address is typed; refused while Ada alone owns an organization.
  const remove = account.getByTestId("delete-account");
  const button = remove.getByRole("button", { name: "Delete my account" });
  assert.equal(await button.isDisabled(), true, "not before the address is typed");
  await remove.getByLabel("Your email address").fill(ada.user.email.toUpperCase());
  await remove.getByLabel("Your password").fill(NEW_PASSWORD);
  await refusals([ada], async () => {
    await button.click();
    await remove.getByRole("alert").filter({ hasText: "You are the only owner of ACCT:" }).waitFor({ timeout: SEE_MS });
  });
  const fresh = await call<{ access_token: string }>(app.server.url, "POST", "/auth/login", { email: ada.user.email, password: NEW_PASSWORD });
  await call(app.server.url, "DELETE", `/orgs/${org}`, undefined, fresh.access_token);
  await button.click();
  await ada.page.waitForURL((u) => u.pathname === "/login", { timeout: SEE_MS });
  await ada.page.getByTestId("login-notice").filter({ hasText: "Your account is deleted." }).waitFor({ timeout: SEE_MS });
  assert.equal(await statusOf("/me", fresh.access_token), 401, "every session ended");
  const login = await fetch(`${app.server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ada.user.email, password: NEW_PASSWORD }),
  });
  assert.equal(login.status, 401, "the account is gone");
  await waitForMail(app.server.dataDir, ada.user.email, "Your Corkboard account was deleted");
  app.expectClean(ada);
});
