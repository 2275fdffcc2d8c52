// mix.js — the realistic mix: many boards, a few users on each.
//
// BOARDS boards × USERS_PER_BOARD VUs: each group of VUs shares one board,
// holds one socket subscribed to it, edits it (RATE commands a second per
// VU: create, edit and move items, chosen from the board as the VU sees it)
// and moves its cursor (PRESENCE_RATE presence updates a second). Every VU
// receives its teammates' events: command → delivery latency, command → ack
// latency, seq continuity and, at the end, no missing event.
//
//   k6 run -e FORMAT=json -e BASE_URL=http://127.0.0.1:18080 loadtest/k6/mix.js

import exec from 'k6/execution';
import { BASE_URL, FORMAT, dur, envDurationMs, envInt } from './lib/config.js';
import { boardSeq } from './lib/http.js';
import { SUMMARY_TREND_STATS, eventsMissing } from './lib/metrics.js';
import { createFixture, newBoard } from './lib/setup.js';
import { BoardLog, Commands, Session, recordDelivery } from './lib/ws.js';

const BOARDS = envInt('BOARDS', 50, 1, 10000);
const USERS_PER_BOARD = envInt('USERS_PER_BOARD', 3, 1, 100);
const RATE = envInt('RATE', 1, 1, 100);
const PRESENCE_RATE = envInt('PRESENCE_RATE', 2, 0, 20);
const ITEMS_PER_BOARD = envInt('ITEMS_PER_BOARD', 20, 1, 10000);
const DURATION_MS = envDurationMs('DURATION', '30s', 1000, 3600000);
const CONNECT_WAIT_MS = envDurationMs('CONNECT_WAIT', '5s', 0, 600000);
const MAX_IN_FLIGHT = envInt('MAX_IN_FLIGHT', 20, 1, 100000);
const P95_MS = envInt('P95_MS', 100, 1, 600000);
const P99_MS = envInt('P99_MS', 250, 1, 600000);
/** Share of commands that create an item even when the board is full enough. */
const CREATE_SHARE = 0.1;
/** Share of the remaining commands that edit (the rest move). */
const EDIT_SHARE = 0.6;
/** After the last command: wait for answers, then for teammates' last events. */
const DRAIN_MS = 3000;
const LINGER_MS = 2000;
const GRACE_MS = 30000;

const VUS = BOARDS * USERS_PER_BOARD;
const WRITE_STOP_MS = CONNECT_WAIT_MS + DURATION_MS;
const CLOSE_MS = WRITE_STOP_MS + DRAIN_MS + LINGER_MS;

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '600s',
  scenarios: {
    teams: {
      executor: 'per-vu-iterations', exec: 'teammate', vus: VUS, iterations: 1,
      maxDuration: dur(CLOSE_MS + GRACE_MS),
    },
  },
  thresholds: {
    delivery_latency: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
    ack_latency: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
    commands_acked: ['count>0'],
    events_received: ['count>0'],
    command_rejected: ['rate<0.01'],
    seq_gaps: ['count==0'],
    seq_duplicates: ['count==0'],
    events_missing: ['count==0'],
    ws_errors: ['count==0'],
    unexpected_closes: ['count==0'],
    sessions_welcomed: [`count==${VUS}`],
  },
};

export function setup() {
  const fx = createFixture({ users: USERS_PER_BOARD, boards: 0 });
  const boards = [];
  for (let b = 0; b < BOARDS; b++) boards.push(newBoard(fx.users[0].token, fx.org.id, `mix ${b}`).id);
  console.log(`mix: ${FORMAT}, ${BASE_URL}, ${BOARDS} boards × ${USERS_PER_BOARD} users, ${RATE} cmd/s and ${PRESENCE_RATE} presence/s per user, ${DURATION_MS / 1000}s`);
  return { runId: fx.runId, tokens: fx.users.map((u) => u.token), boards, t0: Date.now() };
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

/** The next command for a board as this VU sees it. */
function nextCommand(view, vu, n) {
  const ids = Object.keys(view.items);
  if (ids.length < ITEMS_PER_BOARD || Math.random() < CREATE_SHARE) {
    return { type: 'create_item', title: `mix v${vu} #${n}`, column: pick(view.columns) };
  }
  const item = pick(ids);
  if (Math.random() < EDIT_SHARE || view.columns.length < 2) {
    return { type: 'edit_item', item, title: `mix v${vu} #${n} edited` };
  }
  const others = view.columns.filter((c) => c !== view.items[item]);
  return { type: 'move_item', item, column: pick(others) };
}

/** Keep the VU's view (items → column) current from one event. */
function apply(view, ev) {
  if (ev.type === 'item_created' || ev.type === 'item_moved') view.items[ev.item] = ev.column;
  else if (ev.type === 'item_archived') delete view.items[ev.item];
}

export function teammate(data) {
  const vu = exec.vu.idInTest;
  const seat = (vu - 1) % USERS_PER_BOARD;
  const board = data.boards[Math.floor((vu - 1) / USERS_PER_BOARD) % data.boards.length];
  const token = data.tokens[seat];
  const log = new BoardLog();
  const view = { columns: [], items: {} };
  const timers = [];
  let commands;
  const stop = (sess) => {
    timers.forEach(clearInterval);
    setTimeout(() => sess.close(), DRAIN_MS + LINGER_MS);
  };
  const s = new Session(token, {
    welcome: (sess) => {
      sess.send({ type: 'subscribe', board });
      commands = new Commands(sess, data.runId, vu, MAX_IN_FLIGHT);
      const begin = Math.max(0, data.t0 + CONNECT_WAIT_MS - Date.now()) + Math.random() * 1000;
      setTimeout(() => {
        if (!sess.open) return;
        timers.push(setInterval(() => {
          if (Date.now() >= data.t0 + WRITE_STOP_MS) return stop(sess);
          if (view.columns.length > 0) commands.send(board, nextCommand(view, vu, commands.n));
        }, 1000 / RATE));
        if (PRESENCE_RATE > 0) {
          timers.push(setInterval(() => {
            const cursor = { x: Math.floor(Math.random() * 2000), y: Math.floor(Math.random() * 1000) };
            sess.send({ type: 'presence', board, state: { cursor } });
          }, 1000 / PRESENCE_RATE));
        }
      }, begin);
    },
    message: (msg) => {
      const now = Date.now();
      if (msg.type === 'event') {
        if (log.event(msg.seq)) apply(view, msg.event);
        recordDelivery(msg, vu, now);
      } else if (msg.type === 'snapshot') {
        log.start(msg.seq);
        view.columns = msg.state.columns.map((c) => c.id);
        for (const [id, it] of Object.entries(msg.state.items)) if (!it.archived) view.items[id] = it.column;
      } else if (commands) {
        commands.answer(msg, now);
      }
    },
    close: (_code, expected) => {
      timers.forEach(clearInterval);
      if (!expected) return;
      const final = boardSeq(token, board);
      eventsMissing.add(final === null || log.seq === null ? 1 : Math.max(0, final - log.seq));
    },
  });
  return s;
}
