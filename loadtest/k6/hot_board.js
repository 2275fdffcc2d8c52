// hot_board.js — one board, many subscribers, a few writers.
//
// SUBSCRIBERS VUs each hold one socket subscribed to the board for the whole
// run; WRITERS VUs join after CONNECT_WAIT and each send RATE `edit_item`
// commands a second for DURATION (not subscribed: they see acks only).
// Measures command → delivery (`delivery_latency`, at every subscriber, from
// the send time carried in the command id) and command → ack
// (`ack_latency`). At the end every subscriber compares its last seq with
// the board's (REST) — `events_missing` — and every event must have been
// the next seq (`seq_gaps`, `seq_duplicates`).
//
//   k6 run -e FORMAT=msgpack -e BASE_URL=http://127.0.0.1:18080 loadtest/k6/hot_board.js
//
// Deliveries/s = SUBSCRIBERS × WRITERS × RATE: keep it under ~20k/s on a
// 2-core machine (k6 itself costs ~25 µs per received message).

import exec from 'k6/execution';
import { BASE_URL, FORMAT, dur, envDurationMs, envInt } from './lib/config.js';
import { boardSeq } from './lib/http.js';
import { SUMMARY_TREND_STATS, eventsMissing } from './lib/metrics.js';
import { createFixture, seedItems } from './lib/setup.js';
import { BoardLog, Commands, Session, recordDelivery } from './lib/ws.js';

const SUBSCRIBERS = envInt('SUBSCRIBERS', 100, 1, 20000);
const WRITERS = envInt('WRITERS', 4, 1, 1000);
const RATE = envInt('RATE', 25, 1, 1000);
const USERS = envInt('USERS', 4, 1, 1000);
const DURATION_MS = envDurationMs('DURATION', '30s', 1000, 3600000);
const CONNECT_WAIT_MS = envDurationMs('CONNECT_WAIT', '5s', 0, 600000);
const MAX_IN_FLIGHT = envInt('MAX_IN_FLIGHT', 50, 1, 100000);
const P95_MS = envInt('P95_MS', 100, 1, 600000);
const P99_MS = envInt('P99_MS', 250, 1, 600000);
/** Writers wait this long for their last acks before closing. */
const DRAIN_MS = 3000;
/** Subscribers stay this long after the writers closed, for the last events. */
const LINGER_MS = 2000;
/** Slack for scenario `maxDuration` beyond the planned run. */
const GRACE_MS = 30000;

const WRITE_START_MS = CONNECT_WAIT_MS;
const WRITE_STOP_MS = CONNECT_WAIT_MS + DURATION_MS;
const SUBSCRIBER_CLOSE_MS = WRITE_STOP_MS + DRAIN_MS + LINGER_MS;

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '300s',
  scenarios: {
    subscribers: {
      executor: 'per-vu-iterations', exec: 'subscriber', vus: SUBSCRIBERS, iterations: 1,
      maxDuration: dur(SUBSCRIBER_CLOSE_MS + GRACE_MS),
    },
    writers: {
      executor: 'per-vu-iterations', exec: 'writer', vus: WRITERS, iterations: 1,
      startTime: dur(WRITE_START_MS), maxDuration: dur(DURATION_MS + DRAIN_MS + GRACE_MS),
    },
  },
  thresholds: {
    delivery_latency: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
    ack_latency: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
    commands_acked: ['count>0'],
    events_received: ['count>0'],
    command_rejected: ['rate==0'],
    seq_gaps: ['count==0'],
    seq_duplicates: ['count==0'],
    events_missing: ['count==0'],
    ws_errors: ['count==0'],
    unexpected_closes: ['count==0'],
    sessions_welcomed: [`count==${SUBSCRIBERS + WRITERS}`],
  },
};

export function setup() {
  const fx = createFixture({ users: USERS, boards: 1 });
  const board = fx.boards[0];
  const items = seedItems(fx.users[0].token, board, WRITERS, 'hot').map((it) => it.id);
  console.log(`hot_board: ${FORMAT}, ${BASE_URL}, ${SUBSCRIBERS} subscribers, ${WRITERS} writers × ${RATE}/s for ${DURATION_MS / 1000}s`);
  return { runId: fx.runId, tokens: fx.users.map((u) => u.token), board: board.id, items, t0: Date.now() };
}

/** Hold one subscribed socket until the writers are done. */
export function subscriber(data) {
  const vu = exec.vu.idInTest;
  const token = data.tokens[vu % data.tokens.length];
  const log = new BoardLog();
  const s = new Session(token, {
    welcome: (sess) => sess.send({ type: 'subscribe', board: data.board }),
    message: (msg) => {
      if (msg.type === 'event') {
        const now = Date.now();
        log.event(msg.seq);
        recordDelivery(msg, vu, now);
      } else if (msg.type === 'snapshot') {
        log.start(msg.seq);
      }
    },
    close: (_code, expected) => {
      if (!expected) return;
      const final = boardSeq(token, data.board);
      eventsMissing.add(final === null || log.seq === null ? 1 : Math.max(0, final - log.seq));
    },
  });
  setTimeout(() => s.close(), Math.max(0, data.t0 + SUBSCRIBER_CLOSE_MS - Date.now()));
}

/** Send RATE edits a second to this writer's own item, then close. */
export function writer(data) {
  const vu = exec.vu.idInTest;
  const token = data.tokens[vu % data.tokens.length];
  const item = data.items[exec.scenario.iterationInTest % data.items.length];
  let commands;
  let timer;
  const s = new Session(token, {
    welcome: (sess) => {
      commands = new Commands(sess, data.runId, vu, MAX_IN_FLIGHT);
      timer = setInterval(() => {
        if (Date.now() >= data.t0 + WRITE_STOP_MS) {
          clearInterval(timer);
          setTimeout(() => sess.close(), DRAIN_MS);
          return;
        }
        commands.send(data.board, { type: 'edit_item', item, title: `hot w${vu} #${commands.n}` });
      }, 1000 / RATE);
    },
    message: (msg) => {
      if (commands) commands.answer(msg, Date.now());
    },
    close: () => {
      if (timer !== undefined) clearInterval(timer);
    },
  });
  return s;
}
