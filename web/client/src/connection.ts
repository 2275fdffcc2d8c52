/**
 * One logical connection over many sockets: opens the WebSocket, sends
 * `auth` (getting a token from the caller's function when it is one),
 * waits for `welcome`, keeps the socket alive with pings, refreshes the
 * token on the live socket before it expires, and reconnects with backoff
 * after anything but a terminal close. What is terminal follows the
 * server's close codes (`CLOSE` in the generated protocol file) and the
 * `error` it sent just before closing.
 */

import { Backoff, type BackoffOptions } from "./backoff.js";
import { codecFor, type Codec, type Format } from "./codec.js";
import { ConnectionClosed, CorkboardError } from "./errors.js";
import { Emitter } from "./emitter.js";
import { CLOSE, type ClientMsg, type Limits, type ServerMsg, type UserId } from "./generated/protocol.js";
import { refreshDelay, tokenExpiry } from "./token.js";

/** A token, or a function that returns a fresh one (called on every connect and refresh). */
export type Auth = string | (() => string | Promise<string>);

/** What a UI shows about the connection. */
export type Status =
  | { state: "connecting" }
  | { state: "open"; session: string; user: UserId }
  | { state: "reconnecting"; attempt: number; retryInMs: number; lastClose?: number; lastError?: { code: string; message: string } }
  | { state: "offline" }
  | { state: "closed"; reason: CorkboardError };

/** Longest wait for `welcome` after the socket opens. */
export const WELCOME_TIMEOUT_MS = 10_000;
/** Ping interval when the server's idle timeout is unknown. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A session that stays up this long resets the reconnect backoff (one closed at once does not). */
export const STABLE_SESSION_MS = 10_000;

/** Connection settings. */
export interface ConnectionOptions {
  /** The WebSocket URL (`ws(s)://host/ws`). */
  wsUrl: string;
  auth: Auth;
  format: Format;
  backoff?: BackoffOptions;
  /** The WebSocket constructor (default: the global one). */
  WebSocket?: typeof WebSocket;
  /** Ping interval (default: a third of the server's idle timeout, at most 15 s). */
  heartbeatMs?: number;
}

type Events = {
  status: Status;
  welcome: { session: string; user: UserId; limits: Limits };
  message: ServerMsg;
};

/** `promise`, or a rejection naming `what` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Close codes after which reconnecting cannot help: the client has a bug or the server says stop. */
const CLIENT_FAULT = new Set<number>([CLOSE.PROTOCOL_ERROR, CLOSE.INVALID_DATA, CLOSE.TOO_BIG]);

export class Connection extends Emitter<Events> {
  status: Status = { state: "connecting" };
  codec: Codec | undefined;
  limits: Limits | undefined;
  private socket: WebSocket | undefined;
  private readonly backoff: Backoff;
  private token: string | undefined;
  private lastError: { code: string; message: string } | undefined;
  private authFailures = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private heard = true;
  private stopped = false;
  /** A connect is under way (awaiting the token, or the socket is open). */
  private connecting = false;
  /** The last close was 1008: the next token must be a fresh one that works. */
  private needFreshToken = false;
  /** The user of the first `welcome`: a later one for another user ends the client. */
  private user: UserId | undefined;
  /** Bumped on every close, so a refresh started on an old socket stops. */
  private generation = 0;
  private readonly onOnline = () => this.reconnectNow();
  private readonly onOffline = () => this.socket?.close(1000, "offline");

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
    globalThis.addEventListener?.("online", this.onOnline);
    globalThis.addEventListener?.("offline", this.onOffline);
  }

  /** Whether messages can be sent now (authenticated and open). */
  get open(): boolean {
    return this.status.state === "open";
  }

  /** Opens the first socket. */
  start(): void {
    void this.connect();
  }

  /** Sends a message on the open socket; `false` when there is none. */
  send(msg: ClientMsg): boolean {
    if (!this.socket || this.socket.readyState !== 1 || !this.codec) return false;
    this.socket.send(this.encode(this.codec, msg));
    this.lastEncoded = undefined;
    return true;
  }

  /** The size of a message as it would be sent. */
  sizeOf(msg: ClientMsg): number {
    return this.codec ? this.codec.size(this.encode(this.codec, msg)) : 0;
  }

  /**
   * The frame for `msg`; a command measured (`sizeOf`) and then sent is
   * encoded once.
   */
  private encode(codec: Codec, msg: ClientMsg): string | Uint8Array {
    if (this.lastEncoded?.msg !== msg) this.lastEncoded = { msg, frame: codec.encode(msg) };
    return this.lastEncoded.frame;
  }
  private lastEncoded: { msg: ClientMsg; frame: string | Uint8Array } | undefined;

  /** Closes for good. */
  stop(reason: CorkboardError): void {
    this.stopped = true;
    globalThis.removeEventListener?.("online", this.onOnline);
    globalThis.removeEventListener?.("offline", this.onOffline);
    this.clearTimers();
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, "client closed");
    this.setStatus({ state: "closed", reason });
  }

  private setStatus(status: Status): void {
    this.status = status;
    this.emit("status", status);
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async freshToken(): Promise<string> {
    const auth = this.options.auth;
    return typeof auth === "string" ? auth : await auth();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    if (globalThis.navigator?.onLine === false) {
      this.setStatus({ state: "offline" });
      return;
    }
    if (this.connecting) return;
    this.connecting = true;
    if (this.status.state !== "reconnecting") this.setStatus({ state: "connecting" });
    let token: string;
    try {
      this.codec ??= await codecFor(this.options.format);
    } catch (e) {
      this.connecting = false;
      this.stop(new CorkboardError("protocol_error", `cannot load the ${this.options.format} encoding: ${String(e)}`));
      return;
    }
    try {
      token = await withTimeout(this.freshToken(), WELCOME_TIMEOUT_MS, "the auth function gave no token");
    } catch (e) {
      this.connecting = false;
      // The caller's own verdict, or a token that expired and cannot be
      // replaced, ends the client; anything else (offline?) is retried.
      if (e instanceof CorkboardError && !e.retryable) {
        this.stop(e);
      } else if (this.needFreshToken) {
        const last = this.lastError?.code ?? "token_expired";
        this.stop(new ConnectionClosed(last, `the token was refused (${last}) and auth could not give a new one: ${String(e)}`, CLOSE.POLICY));
      } else {
        this.lastError = { code: "auth_unavailable", message: `the auth function failed: ${String(e)}` };
        this.scheduleReconnect();
      }
      return;
    }
    if (this.stopped) {
      this.connecting = false;
      return;
    }
    this.token = token;
    const Ctor = this.options.WebSocket ?? globalThis.WebSocket;
    if (!Ctor) {
      this.stop(new CorkboardError("protocol_error", "no WebSocket here: pass `WebSocket` to createClient (Node 20: run with --experimental-websocket, or pass the `ws` package)"));
      return;
    }
    let socket: WebSocket;
    try {
      socket = new Ctor(this.options.wsUrl, this.codec.subprotocol);
    } catch (e) {
      this.connecting = false;
      // A URL the platform refuses outright (e.g. ws: from an https page).
      this.stop(new CorkboardError("protocol_error", `cannot open a WebSocket to ${this.options.wsUrl}: ${String(e)}`));
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.lastError = undefined;
    let welcomed = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.send({ type: "auth", token });
      this.later(WELCOME_TIMEOUT_MS, () => {
        if (this.socket === socket && !welcomed) socket.close(1000, "no welcome");
      });
    };
    socket.onmessage = (ev: MessageEvent) => {
      if (this.socket !== socket || !this.codec) return;
      this.heard = true;
      let msg: ServerMsg;
      try {
        msg = this.codec.decode(ev.data as string | ArrayBuffer);
      } catch (e) {
        this.lastError = { code: "protocol_error", message: `unreadable frame: ${String(e)}` };
        return;
      }
      if (msg.type === "welcome") {
        welcomed = true;
        this.onWelcome(msg);
      } else if (msg.type === "error") {
        this.lastError = { code: msg.code, message: msg.message };
        if (msg.code === "user_mismatch") {
          // The auth function returned another user's token: stop before
          // anything is sent as the wrong user.
          this.emit("message", msg);
          this.stop(new ConnectionClosed("user_mismatch", msg.message, CLOSE.POLICY));
          return;
        }
      }
      this.emit("message", msg);
    };
    socket.onclose = (ev: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.onClose(ev.code, ev.reason);
    };
    socket.onerror = () => {
      // Browsers follow an error with `close`, which decides what to do;
      // Node 20's WebSocket does not when the connection never opened, so
      // a socket that is not open after an error counts as closed (1006).
      setTimeout(() => {
        if (this.socket !== socket || socket.readyState === 1) return;
        this.socket = undefined;
        // Should it open after all, it must not linger unused.
        socket.close();
        this.onClose(1006, "connection failed");
      }, 0);
    };
  }

  private onWelcome(msg: Extract<ServerMsg, { type: "welcome" }>): void {
    const first = this.status.state !== "open";
    if (this.user !== undefined && msg.user !== this.user) {
      this.stop(new ConnectionClosed("user_mismatch", `the auth function now gives a token of another user (${msg.user}, not ${this.user}); create a new client for them`, CLOSE.POLICY));
      return;
    }
    this.user = msg.user;
    this.limits = msg.limits;
    this.authFailures = 0;
    this.needFreshToken = false;
    if (first) {
      this.later(STABLE_SESSION_MS, () => this.backoff.reset());
      this.startHeartbeat(msg.limits.idle_timeout_ms);
      this.scheduleRefresh();
      this.setStatus({ state: "open", session: msg.session, user: msg.user });
      this.emit("welcome", { session: msg.session, user: msg.user, limits: msg.limits });
    }
  }

  private startHeartbeat(idleTimeoutMs: number): void {
    const every = this.options.heartbeatMs ?? Math.min(DEFAULT_HEARTBEAT_MS, Math.max(1_000, Math.floor(idleTimeoutMs / 3)));
    this.heard = true;
    let nonce = 0;
    this.heartbeat = setInterval(() => {
      if (!this.heard) {
        // Nothing for a whole interval, not even the last ping's pong.
        this.socket?.close(1000, "heartbeat timeout");
        return;
      }
      this.heard = false;
      this.send({ type: "ping", nonce: ++nonce });
    }, every);
  }

  private scheduleRefresh(): void {
    if (typeof this.options.auth === "string" || this.token === undefined) return;
    const exp = tokenExpiry(this.token);
    if (exp === undefined) return;
    const generation = this.generation;
    this.later(refreshDelay(exp, Date.now()), () => void this.refresh(exp, generation));
  }

  private async refresh(oldExp: number, generation: number): Promise<void> {
    try {
      const token = await this.freshToken();
      // The socket this refresh was for is gone: the reconnect has its own.
      if (!this.open || generation !== this.generation) return;
      this.token = token;
      this.send({ type: "auth", token });
      this.scheduleRefresh();
    } catch {
      // Try again, a little later, until the old token runs out.
      const wait = Math.min(5_000, Math.max(0, oldExp - Date.now()));
      if (wait > 0 && generation === this.generation) this.later(wait, () => void this.refresh(oldExp, generation));
    }
  }

  private onClose(code: number, reason: string): void {
    this.clearTimers();
    this.connecting = false;
    this.generation += 1;
    if (this.stopped) return;
    const last = this.lastError;
    if (CLIENT_FAULT.has(code)) {
      const what = code === CLOSE.TOO_BIG ? "message_too_large" : "protocol_error";
      this.stop(new ConnectionClosed(last?.code ?? what, last?.message ?? `closed by the server (${code}): ${reason}`, code));
      return;
    }
    if (code === CLOSE.POLICY) {
      const lastCode = last?.code ?? "authentication_failed";
      this.authFailures += 1;
      // A revoked credential or a user switch ends the session; an expired
      // or refused token is worth one fresh token from the auth function.
      const terminal =
        lastCode === "token_revoked" || lastCode === "user_mismatch" || typeof this.options.auth === "string" || this.authFailures > 1;
      if (terminal) {
        this.stop(new ConnectionClosed(lastCode, last?.message ?? `closed by the server (${code}): ${reason}`, code));
        return;
      }
      this.needFreshToken = true;
    }
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(lastClose?: number): void {
    if (this.stopped) return;
    if (globalThis.navigator?.onLine === false) {
      this.setStatus({ state: "offline" });
      return;
    }
    const retryInMs = this.backoff.next();
    const status: Status = { state: "reconnecting", attempt: this.backoff.attempts, retryInMs };
    if (lastClose !== undefined) status.lastClose = lastClose;
    if (this.lastError) status.lastError = this.lastError;
    this.setStatus(status);
    this.later(retryInMs, () => void this.connect());
  }

  /** Reconnect at once (the browser says the network is back). */
  private reconnectNow(): void {
    if (this.stopped || this.socket || this.connecting) return;
    this.clearTimers();
    this.setStatus({ state: "reconnecting", attempt: this.backoff.attempts, retryInMs: 0 });
    void this.connect();
  }
}
