// slow_consumers.js — a few sessions that stop reading, among fast ones.
//
// FAST and SLOW VUs subscribe to BOARDS boards, which WRITERS VUs edit (RATE
// commands a second each, with a PAYLOAD-byte description so buffers fill
// quickly); the fast sessions also move their cursors (PRESENCE_RATE a
// second). The slow sessions stop reading at their first event for
// SLOW_PHASE (or read one message every SLOW_READ_MS), so their sockets back
// up: the kernel buffers fill, then the server's per-session outbound queue
// overflows and the server cuts them; then they read again.
//
// What must hold: the fast sessions' command → delivery latency stays low
// (`delivery_latency`, fast sessions only), none of them is closed and they
// miss nothing; every slow session is cut (`slow_cut` == SLOW, seen as the
// 4008 close frame — `slow_cut_4008` — or, when it was still stalled seconds
// after the cut, as a reset), the server counted the cuts
// (`server_slow_cuts`, from /metrics: one per board subscription, so SLOW
// to SLOW × BOARDS) and nothing else closed a slow session
// (`slow_other_closes` == 0); after its cut each slow session reconnects,
// resumes with `since` (again after any further 4008) and ends with every
// event (`seq_gaps`, `events_missing`), as PROTOCOL.md promises.
//
// Slow sessions use k6's classic `k6/ws` module on purpose: its message
// handlers run on the socket's read loop, so a handler that sleeps stops
// the reading and TCP pushes back on the server. (`k6/experimental/websockets`
// reads ahead into an unbounded queue, so a slow handler never slows the
// socket.)
//
//   k6 run -e FORMAT=msgpack -e BASE_URL=http://127.0.0.1:18080 loadtest/k6/slow_consumers.js

import { sleep } from 'k6';
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import ws from 'k6/ws';
import { BASE_URL, FORMAT, WS_URL, dur, envDurationMs, envInt } from './lib/config.js';
import { boardSeq } from './lib/http.js';
import { SUMMARY_TREND_STATS, eventsMissing } from './lib/metrics.js';
import { createFixture, seedItems } from './lib/setup.js';
import { BoardLog, Commands, SUBPROTOCOLS, Session, pack, recordDelivery, unpack } from './lib/ws.js';

const FAST = envInt('FAST', 10, 1, 20000);
const SLOW = envInt('SLOW', 2, 1, 1000);
const BOARDS = envInt('BOARDS', 4, 1, 100);
const WRITERS = envInt('WRITERS', 4, 1, 1000);
const RATE = envInt('RATE', 25, 1, 1000);
const PRESENCE_RATE = envInt('PRESENCE_RATE', 10, 0, 20);
const PAYLOAD = envInt('PAYLOAD', 8192, 0, 60000);
const USERS = envInt('USERS', 4, 1, 1000);
const DURATION_MS = envDurationMs('DURATION', '60s', 1000, 3600000);
/** Default slow phase: three quarters of the writing time, at most 30 s. */
const SLOW_PHASE_SHARE = 0.75;
/**
 * A stalled client answers no ping, and the server closes a client silent
 * for CORKBOARD_WS_CLIENT_TIMEOUT_SECS (45 s by default) with 4001: the
 * default slow phase stays well below that.
 */
const SLOW_PHASE_DEFAULT_MAX_S = 30;
const SLOW_PHASE_MS = envDurationMs(
  'SLOW_PHASE',
  `${Math.min(SLOW_PHASE_DEFAULT_MAX_S, Math.round((DURATION_MS * SLOW_PHASE_SHARE) / 1000))}s`,
  1000,
  3600000,
);
const SLOW_READ_MS = envDurationMs('SLOW_READ_MS', '60s', 1, 600000);
const CONNECT_WAIT_MS = envDurationMs('CONNECT_WAIT', '5s', 0, 600000);
const MAX_IN_FLIGHT = envInt('MAX_IN_FLIGHT', 100, 1, 100000);
const P95_MS = envInt('P95_MS', 100, 1, 600000);
const P99_MS = envInt('P99_MS', 250, 1, 600000);
/** Words the descriptions are made of (text, like a real description). */
const FILLER_TEXT = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ';
/** The server's close code for a slow consumer (PROTOCOL.md, "Close codes"). */
const CLOSE_SLOW_CONSUMER = 4008;
/** What the classic `k6/ws` module reports for a connection that ended without a close frame. */
const CLOSE_GOING_AWAY = 1001;
const CLOSE_ABNORMAL = 1006;
const DRAIN_MS = 3000;
const LINGER_MS = 2000;
const GRACE_MS = 30000;

const WRITE_STOP_MS = CONNECT_WAIT_MS + DURATION_MS;
const CLOSE_MS = WRITE_STOP_MS + DRAIN_MS + LINGER_MS;

/** Slow sessions closed by the server with 4008. */
const slowCut4008 = new Counter('slow_cut_4008');
/** Slow sessions cut by the server, seen either way (tagged `seen`: `close_4008` or `reset`). */
const slowCut = new Counter('slow_cut');
/** Slow-consumer cuts the server counted during the run (`/metrics`). */
const serverCuts = new Counter('server_slow_cuts');
/** Slow sessions that ended any other way (tagged with the close code). */
const slowOtherCloses = new Counter('slow_other_closes');
/** Resumed slow sessions cut again (they resume again). */
const resumeCuts = new Counter('slow_resume_cuts');
/** Messages the slow sessions read before they were cut. */
const slowRead = new Counter('slow_messages_read');

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '300s',
  scenarios: {
    fast: { executor: 'per-vu-iterations', exec: 'fast', vus: FAST, iterations: 1, maxDuration: dur(CLOSE_MS + GRACE_MS) },
    slow: { executor: 'per-vu-iterations', exec: 'slow', vus: SLOW, iterations: 1, maxDuration: dur(CLOSE_MS + GRACE_MS) },
    writers: {
      executor: 'per-vu-iterations', exec: 'writer', vus: WRITERS, iterations: 1,
      startTime: dur(CONNECT_WAIT_MS), maxDuration: dur(DURATION_MS + DRAIN_MS + GRACE_MS),
    },
  },
  thresholds: {
    delivery_latency: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
    slow_cut: [`count==${SLOW}`],
    // The server counts a cut once per board subscription of the session.
    server_slow_cuts: [`count>=${SLOW}`, `count<=${SLOW * BOARDS}`],
    slow_other_closes: ['count==0'],
    events_received: ['count>0'],
    commands_acked: ['count>0'],
    command_rejected: ['rate==0'],
    seq_gaps: ['count==0'],
    seq_duplicates: ['count==0'],
    events_missing: ['count==0'],
    ws_errors: ['count==0'],
    unexpected_closes: ['count==0'],
  },
};

export function setup() {
  const fx = createFixture({ users: USERS, boards: BOARDS });
  // Writer w edits its own item on board w % BOARDS.
  const targets = [];
  for (let w = 0; w < WRITERS; w++) {
    const board = fx.boards[w % BOARDS];
    targets.push({ board: board.id, item: seedItems(fx.users[0].token, board, 1, 'slow')[0].id });
  }
  console.log(`slow_consumers: ${FORMAT}, ${BASE_URL}, ${FAST} fast + ${SLOW} slow on ${BOARDS} boards, ${WRITERS} writers × ${RATE}/s, ${PAYLOAD} B payload, ${DURATION_MS / 1000}s`);
  return {
    runId: fx.runId, tokens: fx.users.map((u) => u.token), boards: fx.boards.map((b) => b.id), targets,
    cutsBefore: serverCutCount(), t0: Date.now(),
  };
}

/** The server's `corkboard_slow_consumers_cut_total`, or null without `/metrics`. */
function serverCutCount() {
  const res = http.get(`${BASE_URL}/metrics`, { tags: { name: '/metrics' } });
  const m = res.status === 200 ? /^corkboard_slow_consumers_cut_total (\d+)/m.exec(res.body) : null;
  return m ? Number(m[1]) : null;
}

export function teardown(data) {
  const after = serverCutCount();
  if (data.cutsBefore === null || after === null) {
    console.warn('slow_consumers: /metrics unavailable (CORKBOARD_METRICS=off?): server_slow_cuts not measured');
    return;
  }
  serverCuts.add(after - data.cutsBefore);
}

/** One BoardLog per board. */
function newLogs(data) {
  const logs = {};
  for (const b of data.boards) logs[b] = new BoardLog();
  return logs;
}

/**
 * A session subscribed to every board, reading everything until the run
 * ends; boards whose log already has a seq are resumed with `since`. Fast
 * sessions (`fast`) also move their cursor on the first board
 * PRESENCE_RATE times a second and have their delivery latency measured.
 */
function follow(data, token, vu, logs, fast) {
  let cursor;
  const s = new Session(token, {
    label: fast ? `fast VU ${vu}` : `resumed slow VU ${vu}`,
    // A resumed session may be cut again while k6 digests its catch-up; it
    // then resumes again, as PROTOCOL.md asks after 4008.
    tolerate: fast ? [] : [CLOSE_SLOW_CONSUMER],
    welcome: (sess) => {
      for (const board of data.boards) {
        const since = logs[board].seq === null ? undefined : logs[board].seq;
        sess.send({ type: 'subscribe', board, since });
      }
      if (fast && PRESENCE_RATE > 0) {
        cursor = setInterval(() => {
          const state = { cursor: { x: Math.floor(Math.random() * 2000), y: Math.floor(Math.random() * 1000) } };
          sess.send({ type: 'presence', board: data.boards[0], state });
        }, 1000 / PRESENCE_RATE);
      }
    },
    message: (msg) => {
      if (msg.type === 'event') {
        const now = Date.now();
        logs[msg.board].event(msg.seq);
        if (fast) recordDelivery(msg, vu, now);
      } else if (msg.type === 'snapshot') {
        logs[msg.board].start(msg.seq);
      }
    },
    close: (code, expected) => {
      if (cursor !== undefined) clearInterval(cursor);
      if (!expected) {
        if (!fast && code === CLOSE_SLOW_CONSUMER && Date.now() < data.t0 + CLOSE_MS) {
          resumeCuts.add(1);
          follow(data, token, vu, logs, false);
        }
        return;
      }
      for (const board of data.boards) {
        const final = boardSeq(token, board);
        const seen = logs[board].seq;
        eventsMissing.add(final === null || seen === null ? 1 : Math.max(0, final - seen));
      }
    },
  });
  setTimeout(() => s.close(), Math.max(0, data.t0 + CLOSE_MS - Date.now()));
}

export function fast(data) {
  const vu = exec.vu.idInTest;
  follow(data, data.tokens[vu % data.tokens.length], vu, newLogs(data), true);
}

/** Subscribe, crawl through SLOW_PHASE, expect 4008, then resume with since. */
export function slow(data) {
  const vu = exec.vu.idInTest;
  const token = data.tokens[vu % data.tokens.length];
  const logs = newLogs(data);
  let crawlUntil = 0;
  let code = 0;
  let read = 0;
  let byUs = false;
  const params = { headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOLS[FORMAT] }, tags: { name: `${WS_URL} (slow, ${FORMAT})` } };
  ws.connect(WS_URL, params, (socket) => {
    const send = (msg) => (FORMAT === 'json' ? socket.send(pack(msg)) : socket.sendBinary(pack(msg)));
    const receive = (frame) => {
      const msg = unpack(frame);
      if (msg.type === 'welcome') data.boards.forEach((board) => send({ type: 'subscribe', board }));
      else if (msg.type === 'snapshot') logs[msg.board].start(msg.seq);
      else if (msg.type === 'event') {
        logs[msg.board].event(msg.seq);
        slowRead.add(1);
        read++;
        if (crawlUntil === 0) crawlUntil = Date.now() + SLOW_PHASE_MS;
        const left = crawlUntil - Date.now();
        if (left > 0) sleep(Math.min(SLOW_READ_MS, left) / 1000);
      }
    };
    socket.on('open', () => send({ type: 'auth', token }));
    socket.on(FORMAT === 'json' ? 'message' : 'binaryMessage', receive);
    socket.on('close', (c) => { code = c; });
    socket.setTimeout(() => {
      byUs = true;
      socket.close();
    }, Math.max(1, data.t0 + CLOSE_MS - Date.now()));
  });
  // A session still stalled a few seconds after its cut finds the server gone
  // (a reset: the classic module reports 1001 or 1006) before it reaches the
  // 4008 close frame; the server's own counter tells the cut happened.
  const reset = !byUs && (code === CLOSE_GOING_AWAY || code === CLOSE_ABNORMAL);
  if (code === CLOSE_SLOW_CONSUMER) {
    slowCut4008.add(1);
    slowCut.add(1, { seen: 'close_4008' });
  } else if (reset) {
    slowCut.add(1, { seen: 'reset' });
  } else {
    slowOtherCloses.add(1, { code: String(code) });
  }
  console.log(`slow VU ${vu}: closed with ${code} after reading ${read} events`);
  if ((code === CLOSE_SLOW_CONSUMER || reset) && Date.now() < data.t0 + CLOSE_MS) {
    follow(data, token, vu, logs, false);
  }
}

/** Edit this writer's item RATE times a second with a PAYLOAD-byte description. */
export function writer(data) {
  const vu = exec.vu.idInTest;
  const token = data.tokens[vu % data.tokens.length];
  const { board, item } = data.targets[exec.scenario.iterationInTest % data.targets.length];
  const filler = FILLER_TEXT.repeat(Math.ceil(PAYLOAD / FILLER_TEXT.length)).slice(0, PAYLOAD);
  let commands;
  let timer;
  new Session(token, {
    welcome: (sess) => {
      commands = new Commands(sess, data.runId, vu, MAX_IN_FLIGHT);
      timer = setInterval(() => {
        if (Date.now() >= data.t0 + WRITE_STOP_MS) {
          clearInterval(timer);
          setTimeout(() => sess.close(), DRAIN_MS);
          return;
        }
        const n = commands.n;
        commands.send(board, { type: 'edit_item', item, title: `slow w${vu} #${n}`, description: `${n} ${filler}` });
      }, 1000 / RATE);
    },
    message: (msg) => {
      if (commands) commands.answer(msg, Date.now());
    },
    close: () => {
      if (timer !== undefined) clearInterval(timer);
    },
  });
}
