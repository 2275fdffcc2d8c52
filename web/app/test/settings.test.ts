/**
 * An organization's settings: its owner renames it and hands it over;
 * the new owner deletes it, and a member looking at it is told and taken
 * home at once.
 */

import assert from "node:assert/strict";
import { it } from "node:test";

import { appFixture, call, orgWithBoard, SEE_MS } from "./harness.js";

const app = appFixture();

it("an owner renames and hands over the organization; the new owner deletes it and everyone on it is told at once", async () => {
  const ada = await app.person("Ada");
  const bob = await app.person("Bob");
  const { org, key } = await orgWithBoard(app.server.url, ada.user, "SETS");
  await call(app.server.url, "POST", `/orgs/${org}/members`, { email: bob.user.email, role: "member" }, ada.user.token);

  // Only owners see the settings; a member is told who may.
  await bob.page.goto(`${app.base()}/o/${key}/settings`);
  await bob.page.getByText("Only an owner renames, hands over or deletes").waitFor({ timeout: SEE_MS });
  assert.equal(await bob.page.getByRole("link", { name: "Settings" }).count(), 0);

  await ada.page.goto(`${app.base()}/o/${key}`);
  await ada.page.getByRole("link", { name: "Settings" }).click();
  const page = ada.page.getByTestId("settings-page");
  await page.getByLabel("Organization name").fill("Launch Crew");
  await page.getByRole("button", { name: "Rename" }).click();
  await ada.page.getByRole("heading", { name: "Launch Crew settings" }).waitFor({ timeout: SEE_MS });

  await page.getByLabel("New owner").selectOption(bob.user.id);
  await page.getByRole("button", { name: "Transfer ownership" }).click();
  await ada.page.getByText("Bob owns Launch Crew now; you are an admin.").waitFor({ timeout: SEE_MS });
  await ada.page.getByText("Only an owner renames, hands over or deletes Launch Crew.").waitFor({ timeout: SEE_MS });

  // Ada watches the boards; Bob, the owner now, deletes the organization.
  await ada.page.goto(`${app.base()}/o/${key}`);
  await ada.page.getByRole("heading", { name: /Launch Crew/ }).first().waitFor({ timeout: SEE_MS });
  await bob.page.reload();
  const bobs = bob.page.getByTestId("settings-page");
  const remove = bobs.getByTestId("org-delete");
  await remove.waitFor({ timeout: SEE_MS });
  assert.equal(await remove.isDisabled(), true, "not before the key is typed");
  await bobs.getByLabel("Organization key").fill(key.toLowerCase());
  await remove.click();
  await bob.page.getByText("Launch Crew was deleted.").waitFor({ timeout: SEE_MS });
  await ada.page.getByText("Launch Crew was deleted.").waitFor({ timeout: SEE_MS });
  await ada.page.getByRole("heading", { name: "Create your first organization" }).waitFor({ timeout: SEE_MS });
  const gone = await fetch(`${app.server.url}/api/v1/orgs/${org}`, { headers: { authorization: `Bearer ${ada.user.token}` } });
  assert.equal(gone.status, 404);
  app.expectClean(ada, bob);
});
