// rest_mix.js — REST read/write mix, with live watchers.
//
// VUS VUs run a weighted mix for DURATION against BOARDS boards seeded with
// SEED_ITEMS items each: list the organization's boards, list items with
// filters and cursor pagination (up to PAGES pages), full-text search, get
// an item by its key (`KEY-12`), read a board's history, and write through
// `POST /boards/{id}/commands` with an `Idempotency-Key` (edits and
// creations; every IDEMPOTENT_RETRY-th write is sent twice with the same
// key and must answer the same seq). Each request is tagged `op` so the
// thresholds hold per operation.
//
// REST speaks JSON only; FORMAT picks the encoding of the watchers: one
// socket per board, subscribed for the whole run, that must receive every
// REST write live and in order (`delivery_latency` from the send time
// carried in the Idempotency-Key).
//
//   k6 run -e FORMAT=msgpack -e BASE_URL=http://127.0.0.1:18080 loadtest/k6/rest_mix.js

import { check } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { BASE_URL, FORMAT, dur, envDurationMs, envInt } from './lib/config.js';
import { boardSeq, json, request } from './lib/http.js';
import { SUMMARY_TREND_STATS, eventsMissing } from './lib/metrics.js';
import { createFixture, seedItems } from './lib/setup.js';
import { BoardLog, Session, commandId, recordDelivery } from './lib/ws.js';

const VUS = envInt('VUS', 20, 1, 5000);
const USERS = envInt('USERS', 4, 1, 1000);
const BOARDS = envInt('BOARDS', 5, 1, 1000);
const SEED_ITEMS = envInt('SEED_ITEMS', 100, 1, 50000);
const PAGES = envInt('PAGES', 3, 1, 100);
const IDEMPOTENT_RETRY = envInt('IDEMPOTENT_RETRY', 10, 1, 1000000);
const DURATION_MS = envDurationMs('DURATION', '30s', 1000, 3600000);
const READ_P95_MS = envInt('READ_P95_MS', 100, 1, 600000);
const WRITE_P95_MS = envInt('WRITE_P95_MS', 100, 1, 600000);
const P99_MS = envInt('P99_MS', 500, 1, 600000);
/** Watchers stay after the last write for its broadcast. */
const LINGER_MS = 3000;
const GRACE_MS = 30000;
/** Weighted operations (weights sum to 100). */
const OPS = [
  ['list_boards', 10], ['list_items', 25], ['search', 15], ['item_by_key', 15],
  ['history', 10], ['write', 25],
];

/** Words kept in every title written, so the searches below always find items. */
const SEARCH_WORDS = 'invoice report roadmap';
/** Search queries (web-search syntax), each matching every seeded item. */
const SEARCHES = ['invoice', 'release planning', '"invoice report"', 'reports -zebra', 'roadmap or zebra'];

/** A retried write that answered differently from the original. */
const idempotencyViolations = new Counter('idempotency_violations');

const thresholds = {
  http_req_failed: ['rate<0.01'],
  checks: ['rate>0.99'],
  idempotency_violations: ['count==0'],
  delivery_latency: [`p(99)<${P99_MS}`],
  events_received: ['count>0'],
  seq_gaps: ['count==0'],
  seq_duplicates: ['count==0'],
  events_missing: ['count==0'],
  ws_errors: ['count==0'],
  unexpected_closes: ['count==0'],
};
for (const [op] of OPS) {
  const p95 = op === 'write' ? WRITE_P95_MS : READ_P95_MS;
  thresholds[`http_req_duration{op:${op}}`] = [`p(95)<${p95}`, `p(99)<${P99_MS}`];
}

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '600s',
  scenarios: {
    rest: { executor: 'constant-vus', exec: 'rest', vus: VUS, duration: dur(DURATION_MS), gracefulStop: '10s' },
    watchers: {
      executor: 'per-vu-iterations', exec: 'watcher', vus: BOARDS, iterations: 1,
      maxDuration: dur(DURATION_MS + LINGER_MS + GRACE_MS),
    },
  },
  thresholds,
};

export function setup() {
  const fx = createFixture({ users: USERS, boards: BOARDS });
  const owner = fx.users[0].token;
  const boards = fx.boards.map((b) => ({ id: b.id, columns: b.columns, items: seedItems(owner, b, SEED_ITEMS, 'rest') }));
  console.log(`rest_mix: ${FORMAT} watchers, ${BASE_URL}, ${VUS} VUs, ${BOARDS} boards × ${SEED_ITEMS} items, ${DURATION_MS / 1000}s`);
  return { runId: fx.runId, org: fx.org, tokens: fx.users.map((u) => u.token), boards, t0: Date.now() };
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function chooseOp() {
  let r = Math.random() * 100;
  for (const [op, w] of OPS) {
    if ((r -= w) < 0) return op;
  }
  return OPS[OPS.length - 1][0];
}

function get(op, path, token, name) {
  const res = request('GET', path, { token, name, tags: { op } });
  check(res, { [`${op} answers 200`]: (r) => r.status === 200 });
  return res.status === 200 ? json(res) : undefined;
}

function listItems(data, token) {
  const board = pick(data.boards);
  const filters = [
    `board=${board.id}`,
    `board=${board.id}&column=${pick(board.columns)}`,
    `updated_since=${data.t0 - 60000}`,
    'archived=true',
    'label=urgent',
  ];
  let query = `${pick(filters)}&limit=${pick([20, 50, 100])}`;
  for (let page = 0; page < PAGES; page++) {
    const out = get('list_items', `/orgs/${data.org.id}/items?${query}`, token, '/orgs/{org}/items');
    check(out, { 'list_items answers a page': (o) => o !== undefined && Array.isArray(o.items) });
    if (!out || !out.next_cursor) return;
    query = `${query.replace(/&cursor=[^&]*/, '')}&cursor=${encodeURIComponent(out.next_cursor)}`;
  }
}

let writes = 0;

function write(data, token, vu) {
  const board = pick(data.boards);
  const n = writes++;
  const command = Math.random() < 0.2
    ? { type: 'create_item', title: `rest v${vu} #${n} ${SEARCH_WORDS}`, column: pick(board.columns) }
    : { type: 'edit_item', item: pick(board.items).id, title: `rest v${vu} #${n} ${SEARCH_WORDS}` };
  const key = commandId(data.runId, vu, n, Date.now());
  const send = () => request('POST', `/boards/${board.id}/commands`, {
    token, body: command, name: '/boards/{board}/commands', tags: { op: 'write' },
    extraHeaders: { 'Idempotency-Key': key },
  });
  const res = send();
  const ok = check(res, { 'write answers 200': (r) => r.status === 200 });
  if (ok && n % IDEMPOTENT_RETRY === 0) {
    const again = send();
    const first = json(res);
    const second = json(again);
    const same = again.status === 200 && first && second && first.seq === second.seq;
    if (!same) idempotencyViolations.add(1);
  }
}

export function rest(data) {
  const vu = exec.vu.idInTest;
  const token = data.tokens[vu % data.tokens.length];
  const org = data.org.id;
  switch (chooseOp()) {
    case 'list_boards':
      get('list_boards', `/orgs/${org}/boards`, token, '/orgs/{org}/boards');
      break;
    case 'list_items':
      listItems(data, token);
      break;
    case 'search': {
      const out = get('search', `/orgs/${org}/search?q=${encodeURIComponent(pick(SEARCHES))}&limit=20`, token, '/orgs/{org}/search');
      check(out, { 'search finds seeded items': (o) => o !== undefined && Array.isArray(o.items) && o.items.length > 0 });
      break;
    }
    case 'item_by_key': {
      const item = pick(pick(data.boards).items);
      get('item_by_key', `/orgs/${org}/items/${data.org.key}-${item.number}`, token, '/orgs/{org}/items/{number}');
      break;
    }
    case 'history': {
      const board = pick(data.boards);
      get('history', `/boards/${board.id}/events?since=${Math.floor(Math.random() * SEED_ITEMS)}&limit=100`, token, '/boards/{board}/events');
      break;
    }
    default:
      write(data, token, vu);
  }
}

/** One socket per board: every REST write must arrive live, in order. */
export function watcher(data) {
  const idx = exec.scenario.iterationInTest;
  const board = data.boards[idx % data.boards.length].id;
  const token = data.tokens[0];
  const log = new BoardLog();
  const s = new Session(token, {
    welcome: (sess) => sess.send({ type: 'subscribe', board }),
    message: (msg) => {
      if (msg.type === 'event') {
        const now = Date.now();
        log.event(msg.seq);
        recordDelivery(msg, -1, now);
      } else if (msg.type === 'snapshot') {
        log.start(msg.seq);
      }
    },
    close: (_code, expected) => {
      if (!expected) return;
      const final = boardSeq(token, board);
      eventsMissing.add(final === null || log.seq === null ? 1 : Math.max(0, final - log.seq));
    },
  });
  setTimeout(() => s.close(), Math.max(0, data.t0 + DURATION_MS + LINGER_MS + 10000 - Date.now()));
}
