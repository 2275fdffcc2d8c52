// reconnect_storm.js — everyone drops at once, reconnects and resumes.
//
// CLIENTS VUs subscribe to BOARDS boards while WRITERS VUs keep editing
// them (RATE commands a second each). Every CYCLE all clients close their
// socket together (± JITTER), stay away OFFLINE while events keep coming,
// then reconnect, authenticate and `subscribe{since: last seq seen}`. The
// server must answer with exactly the missed events and then live ones:
// any missing seq counts in `seq_gaps`, a replayed one in `seq_duplicates`,
// a `snapshot{reset}` in `resume_resets` — all must stay 0 — and every
// planned resume must complete (`resumes`). `resume_latency` is subscribe
// sent → catch-up complete (the `presence` that follows it);
// `delivery_latency` counts live events only (replayed ones are late by design).
//
//   k6 run -e FORMAT=msgpack -e BASE_URL=http://127.0.0.1:18080 loadtest/k6/reconnect_storm.js

import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { BASE_URL, FORMAT, dur, envDurationMs, envInt } from './lib/config.js';
import { boardSeq } from './lib/http.js';
import { SUMMARY_TREND_STATS, eventsMissing, resumeLatency } from './lib/metrics.js';
import { createFixture, seedItems } from './lib/setup.js';
import { BoardLog, Commands, Session, recordDelivery } from './lib/ws.js';

const CLIENTS = envInt('CLIENTS', 200, 1, 20000);
const BOARDS = envInt('BOARDS', 10, 1, 1000);
const WRITERS = envInt('WRITERS', BOARDS, 1, 1000);
const RATE = envInt('RATE', 10, 1, 1000);
const USERS = envInt('USERS', 4, 1, 1000);
const DURATION_MS = envDurationMs('DURATION', '30s', 1000, 3600000);
const CYCLE_MS = envDurationMs('CYCLE', '5s', 500, 600000);
const OFFLINE_MS = envDurationMs('OFFLINE', '1s', 0, 600000);
const JITTER_MS = envDurationMs('JITTER', '500ms', 0, 60000);
const CONNECT_WAIT_MS = envDurationMs('CONNECT_WAIT', '5s', 0, 600000);
const MAX_IN_FLIGHT = envInt('MAX_IN_FLIGHT', 50, 1, 100000);
const RESUME_P95_MS = envInt('RESUME_P95_MS', 500, 1, 600000);
const P99_MS = envInt('P99_MS', 1000, 1, 600000);
const DRAIN_MS = 3000;
const LINGER_MS = 2000;
const GRACE_MS = 30000;

/** Storms in a run: the last one ends at least a cycle before the writers stop. */
const STORMS = Math.max(1, Math.floor(DURATION_MS / CYCLE_MS) - 1);
const WRITE_STOP_MS = CONNECT_WAIT_MS + DURATION_MS;
const CLOSE_MS = WRITE_STOP_MS + DRAIN_MS + LINGER_MS;

/** Resumes that completed (catch-up then `presence`). */
const resumes = new Counter('resumes');
/** Resumes answered with `snapshot{reset: true}` instead of the missed events. */
const resumeResets = new Counter('resume_resets');

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '300s',
  scenarios: {
    clients: {
      executor: 'per-vu-iterations', exec: 'client', vus: CLIENTS, iterations: 1,
      maxDuration: dur(CLOSE_MS + GRACE_MS),
    },
    writers: {
      executor: 'per-vu-iterations', exec: 'writer', vus: WRITERS, iterations: 1,
      maxDuration: dur(CLOSE_MS + GRACE_MS),
    },
  },
  thresholds: {
    resumes: [`count==${CLIENTS * STORMS}`],
    resume_resets: ['count==0'],
    resume_latency: [`p(95)<${RESUME_P95_MS}`, `p(99)<${P99_MS}`],
    seq_gaps: ['count==0'],
    seq_duplicates: ['count==0'],
    events_missing: ['count==0'],
    events_received: ['count>0'],
    ack_latency: [`p(99)<${P99_MS}`],
    delivery_latency: [`p(99)<${P99_MS}`],
    commands_acked: ['count>0'],
    command_rejected: ['rate==0'],
    ws_errors: ['count==0'],
    unexpected_closes: ['count==0'],
  },
};

export function setup() {
  const fx = createFixture({ users: USERS, boards: BOARDS });
  const boards = fx.boards.map((b) => ({ id: b.id, item: seedItems(fx.users[0].token, b, 1, 'storm')[0].id }));
  console.log(`reconnect_storm: ${FORMAT}, ${BASE_URL}, ${CLIENTS} clients on ${BOARDS} boards, ${STORMS} storms every ${CYCLE_MS}ms (offline ${OFFLINE_MS}ms), ${WRITERS} writers × ${RATE}/s`);
  return { runId: fx.runId, tokens: fx.users.map((u) => u.token), boards, t0: Date.now() };
}

/** Subscribe, then drop and resume at every storm; check the log stays whole. */
export function client(data) {
  const vu = exec.vu.idInTest;
  const token = data.tokens[vu % data.tokens.length];
  const board = data.boards[vu % data.boards.length].id;
  const log = new BoardLog();
  let storm = 0;

  const connect = () => {
    const resuming = log.seq !== null;
    let sentAt = 0;
    // Replayed events are late by design: latency counts live ones only.
    let live = false;
    const s = new Session(token, {
      welcome: (sess) => {
        sentAt = Date.now();
        sess.send({ type: 'subscribe', board, since: resuming ? log.seq : undefined });
      },
      message: (msg) => {
        const now = Date.now();
        if (msg.type === 'event') {
          log.event(msg.seq);
          if (live) recordDelivery(msg, vu, now);
        } else if (msg.type === 'snapshot') {
          if (msg.reset) resumeResets.add(1);
          log.start(msg.seq);
        } else if (msg.type === 'presence' && !live) {
          live = true;
          if (resuming) {
            resumeLatency.add(now - sentAt);
            resumes.add(1);
          }
        }
      },
      close: (_code, expected) => {
        if (!expected) return;
        if (storm <= STORMS) {
          setTimeout(connect, OFFLINE_MS + Math.random() * JITTER_MS);
          return;
        }
        const final = boardSeq(token, board);
        eventsMissing.add(final === null || log.seq === null ? 1 : Math.max(0, final - log.seq));
      },
    });
    storm++;
    const closeAt = storm <= STORMS
      ? data.t0 + CONNECT_WAIT_MS + storm * CYCLE_MS + Math.random() * JITTER_MS
      : data.t0 + CLOSE_MS;
    setTimeout(() => s.close(), Math.max(0, closeAt - Date.now()));
  };
  connect();
}

/** Keep editing one board's item at RATE a second until the run ends. */
export function writer(data) {
  const vu = exec.vu.idInTest;
  const token = data.tokens[vu % data.tokens.length];
  const board = data.boards[exec.scenario.iterationInTest % data.boards.length];
  let commands;
  let timer;
  const s = new Session(token, {
    welcome: (sess) => {
      commands = new Commands(sess, data.runId, vu, MAX_IN_FLIGHT);
      timer = setInterval(() => {
        const now = Date.now();
        if (now < data.t0 + CONNECT_WAIT_MS) return;
        if (now >= data.t0 + WRITE_STOP_MS) {
          clearInterval(timer);
          setTimeout(() => sess.close(), DRAIN_MS);
          return;
        }
        commands.send(board.id, { type: 'edit_item', item: board.item, title: `storm w${vu} #${commands.n}` });
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
