// Corkboard WebSocket client for k6 (`k6/experimental/websockets`, the
// event-loop API; k6 v1.1 has no `k6/websockets` yet). The wire format is
// chosen per connection with `Sec-WebSocket-Protocol` (FORMAT=json: text
// frames, FORMAT=msgpack: binary frames); the session authenticates with
// an `auth{token}` first message, as a browser would.
//
// Command ids carry their send time (`<run>.<vu>.<n>.<unix ms>`), so any
// subscriber can compute command → delivery latency from the `command_id`
// of the event it receives (all VUs share one clock: one k6 process).

import { WebSocket } from 'k6/experimental/websockets';
import { FORMAT, WS_URL } from './config.js';
import { encode, decode } from './msgpack.js';
import {
  ackLatency, commandRejected, commandsAcked, commandsSent, commandsSkipped, deliveryLatency,
  eventsReceived, seqDuplicates, seqGaps, sessionsWelcomed, unexpectedCloses, wsErrors,
} from './metrics.js';

/** Subprotocol naming each wire format (protocol/PROTOCOL.md, "Connecting"). */
export const SUBPROTOCOLS = { json: 'corkboard.v1.json', msgpack: 'corkboard.v1.msgpack' };
/** Server error messages logged per VU before going quiet (they are all counted). */
const LOGGED_ERRORS = 3;
/** `readyState` of an open socket. */
const OPEN = 1;
/** A protocol `ping` this often keeps a quiet socket clear of the idle timeout (4001). */
const KEEPALIVE_MS = 20000;

/** Encode a client message in FORMAT. */
export function pack(msg) {
  return FORMAT === 'json' ? JSON.stringify(msg) : encode(msg);
}

/** Decode a server frame; a frame of the wrong kind is an error. */
export function unpack(data) {
  if (FORMAT === 'json') {
    if (typeof data !== 'string') throw new Error('binary frame on a JSON connection');
    return JSON.parse(data);
  }
  if (typeof data === 'string') throw new Error('text frame on a MessagePack connection');
  return decode(data);
}

/** A command id carrying its send time. */
export function commandId(runId, vu, n, sentAt) {
  return `${runId}.${vu}.${n}.${sentAt}`;
}

/** `{vu, sentAt}` from a command id made by `commandId`, or null. */
export function parseCommandId(id) {
  if (typeof id !== 'string') return null;
  const parts = id.split('.');
  if (parts.length !== 4) return null;
  return { vu: Number(parts[1]), sentAt: Number(parts[3]) };
}

let loggedErrors = 0;

/**
 * One authenticated socket. `handlers`: `label` (prefix of its log lines),
 * `tolerate` (close codes that are not counted as unexpected),
 * `welcome(session)` once
 * authenticated, `message(msg, session)` for every other server message,
 * `close(code, expected)` when it closes (`expected`: the script asked).
 * `error` messages are counted in `ws_errors` (tagged with their code) and
 * still passed to `message`.
 */
export class Session {
  constructor(token, handlers) {
    this.handlers = handlers;
    /** Prefix of this session's log lines (`handlers.label`). */
    this.label = handlers.label ? `${handlers.label}: ` : '';
    this.closing = false;
    this.open = false;
    /** An error was logged; the close that follows counts it. */
    this.failed = false;
    const ws = new WebSocket(WS_URL, null, {
      headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOLS[FORMAT] },
      tags: { name: `${WS_URL} (${FORMAT})` },
    });
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.open = true;
      this.send({ type: 'auth', token });
      this.keepalive = setInterval(() => this.send({ type: 'ping', nonce: 0 }), KEEPALIVE_MS);
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onerror = (e) => {
      if (!this.closing && !this.failed) {
        this.failed = true;
        if (loggedErrors++ < LOGGED_ERRORS) console.warn(`${this.label}socket error: ${e.error || JSON.stringify(e)}`);
      }
    };
    ws.onclose = (e) => {
      this.open = false;
      if (this.keepalive !== undefined) clearInterval(this.keepalive);
      const code = e && e.code !== undefined ? e.code : 0;
      const tolerated = (this.handlers.tolerate || []).includes(code);
      if (!this.closing && !tolerated) {
        unexpectedCloses.add(1, { code: String(code) });
        if (loggedErrors++ < LOGGED_ERRORS) console.error(`${this.label}socket closed unexpectedly: code ${code}`);
      }
      if (this.handlers.close) this.handlers.close(code, this.closing);
    };
  }

  receive(data) {
    let msg;
    try {
      msg = unpack(data);
    } catch (err) {
      wsErrors.add(1, { code: 'undecodable' });
      if (loggedErrors++ < LOGGED_ERRORS) console.error(`undecodable frame: ${err}`);
      return;
    }
    if (msg.type === 'welcome') {
      sessionsWelcomed.add(1);
      this.sessionId = msg.session;
      if (this.handlers.welcome) this.handlers.welcome(this);
      return;
    }
    if (msg.type === 'error') {
      wsErrors.add(1, { code: String(msg.code) });
      if (loggedErrors++ < LOGGED_ERRORS) console.error(`server error: ${msg.code}: ${msg.message}`);
    }
    if (this.handlers.message) this.handlers.message(msg, this);
  }

  /** Send one client message (ignored once the socket is closed). */
  send(msg) {
    if (this.open && !this.closing && this.ws.readyState === OPEN) this.ws.send(pack(msg));
  }

  /** Close the socket on purpose (normal closure). */
  close() {
    this.closing = true;
    if (this.keepalive !== undefined) clearInterval(this.keepalive);
    this.ws.close();
  }
}

/**
 * Follows one board's seqs: `snapshot` (or a resume from `since`) sets the
 * start, every `event` must be the next seq. Gaps and duplicates are counted
 * (`seq_gaps`, `seq_duplicates`).
 */
export class BoardLog {
  constructor() {
    this.seq = null;
  }

  /** Start from a known seq (a snapshot's, or the `since` of a resume). */
  start(seq) {
    this.seq = seq;
  }

  /** Account for one event; returns false when it was a duplicate. */
  event(seq) {
    eventsReceived.add(1);
    if (this.seq === null || seq === this.seq + 1) {
      this.seq = seq;
      return true;
    }
    if (seq > this.seq + 1) {
      seqGaps.add(seq - this.seq - 1);
      this.seq = seq;
      return true;
    }
    seqDuplicates.add(1);
    return false;
  }
}

/** Record command → delivery latency for an event another VU caused. */
export function recordDelivery(msg, selfVu, now) {
  const origin = parseCommandId(msg.command_id);
  if (origin && origin.vu !== selfVu) deliveryLatency.add(now - origin.sentAt);
}

/**
 * Sends commands for one VU and times their answers. At most `maxInFlight`
 * unanswered commands: beyond that a send is skipped (`commands_skipped`),
 * so a slow server shows up as skipped commands and latency, not as an
 * ever-growing backlog in k6.
 */
export class Commands {
  constructor(session, runId, vu, maxInFlight) {
    this.session = session;
    this.runId = runId;
    this.vu = vu;
    this.max = maxInFlight;
    this.n = 0;
    this.pending = new Map();
  }

  /** Send `command` to `board`; returns its id, or null when skipped. */
  send(board, command) {
    if (this.pending.size >= this.max) {
      commandsSkipped.add(1);
      return null;
    }
    const now = Date.now();
    const id = commandId(this.runId, this.vu, this.n++, now);
    this.pending.set(id, now);
    this.session.send({ type: 'command', id, board, command });
    commandsSent.add(1);
    return id;
  }

  /** Handle `ack`/`rejected`; returns true when `msg` was one of ours. */
  answer(msg, now) {
    if (msg.type !== 'ack' && msg.type !== 'rejected') return false;
    const sent = this.pending.get(msg.id);
    if (sent === undefined) return false;
    this.pending.delete(msg.id);
    if (msg.type === 'ack') {
      ackLatency.add(now - sent);
      commandsAcked.add(1);
      commandRejected.add(false);
    } else {
      commandRejected.add(true, { code: String(msg.code) });
      if (loggedErrors++ < LOGGED_ERRORS) console.error(`command rejected: ${msg.code}: ${msg.message}`);
    }
    return true;
  }

  /** Commands still unanswered. */
  inFlight() {
    return this.pending.size;
  }
}
