// The fixture every script starts from, built in k6's `setup()` and handed
// to the VUs as its return value: a fresh run id, users (registered and
// logged in), one organization they all belong to, and boards with their
// columns. Everything is named after the run id, so runs never collide and
// a server can be reused between runs.

import { fail } from 'k6';
import { must, request, json } from './http.js';

/** Password of every load-test user (8–128 characters). */
const PASSWORD = 'k6-loadtest-password';
/** Organization keys: an uppercase letter, then up to 9 uppercase letters or digits. */
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A short id unique to this run (time + randomness, base 36). */
export function newRunId() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

function orgKey() {
  let k = 'K';
  for (let i = 0; i < 7; i++) k += KEY_ALPHABET[Math.floor(Math.random() * KEY_ALPHABET.length)];
  return k;
}

/** Register and log in one user; returns `{id, email, token}`. */
export function newUser(runId, i) {
  const email = `k6-${runId}-u${i}@loadtest.example`;
  must('POST', '/auth/register', 202, {
    body: { email, password: PASSWORD, name: `k6 user ${i}` },
    name: '/auth/register',
  });
  const out = must('POST', '/auth/login', 200, { body: { email, password: PASSWORD }, name: '/auth/login' });
  if (!out || !out.access_token || !out.user) fail(`login of ${email} answered no token: ${JSON.stringify(out)}`);
  return { id: out.user.id, email, token: out.access_token };
}

/** Create a board in `org` as `token`; returns `{id, name, columns: [ids]}`. */
export function newBoard(token, org, name) {
  const out = must('POST', `/orgs/${org}/boards`, 201, { token, body: { name }, name: '/orgs/{org}/boards' });
  const board = out && out.board;
  if (!board || !board.id || !Array.isArray(board.columns) || board.columns.length === 0) {
    fail(`board creation answered no board with columns: ${JSON.stringify(out)}`);
  }
  return { id: board.id, name, columns: board.columns.map((c) => c.id) };
}

/**
 * Build the fixture: `users` users (user 0 owns the organization, the rest
 * are members) and `boards` boards. Returns
 * `{runId, org: {id, key}, users: [{id, email, token}], boards: [{id, name, columns}]}`.
 */
export function createFixture({ users, boards }) {
  if (users < 1 || boards < 0) fail(`createFixture: needs at least one user, got users=${users} boards=${boards}`);
  const runId = newRunId();
  const people = [];
  for (let i = 0; i < users; i++) people.push(newUser(runId, i));
  const owner = people[0];
  const key = orgKey();
  const org = must('POST', '/orgs', 201, { token: owner.token, body: { name: `k6 ${runId}`, key }, name: '/orgs' });
  for (const p of people.slice(1)) {
    must('POST', `/orgs/${org.id}/members`, 201, {
      token: owner.token,
      body: { email: p.email, role: 'member' },
      name: '/orgs/{org}/members',
    });
  }
  const made = [];
  for (let b = 0; b < boards; b++) made.push(newBoard(owner.token, org.id, `k6 board ${b}`));
  return { runId, org: { id: org.id, key: org.key }, users: people, boards: made };
}

/**
 * Create `count` items on `board` over REST (as `token`), spread over its
 * columns; returns `[{id, number}]`. Used to give queries and edits something to
 * work on.
 */
export function seedItems(token, board, count, label) {
  const ids = [];
  for (let i = 0; i < count; i++) {
    const column = board.columns[i % board.columns.length];
    const body = {
      type: 'create_item',
      title: `seed ${i} ${label || ''} invoice report roadmap`.trim(),
      description: `Seeded item ${i} for the load test. Words to search: release planning customer.`,
      column,
    };
    const res = request('POST', `/boards/${board.id}/commands`, { token, body, name: '/boards/{board}/commands' });
    const out = json(res);
    if (res.status !== 200 || !out || !out.events || !out.events[0]) {
      fail(`seeding item ${i} on ${board.id}: ${res.status}: ${res.body}`);
    }
    const ev = out.events[0].event || out.events[0];
    ids.push({ id: ev.item, number: ev.number });
  }
  return ids;
}
