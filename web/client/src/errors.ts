/**
 * Every failure the client reports is a {@link CorkboardError} with a
 * stable `code` (the server's, e.g. `wip_limit_reached`, or the client's
 * own, e.g. `queue_full`), a `retryable` flag and the server's `details`.
 * Subclasses say where it came from, so `instanceof` and `code` are both
 * safe to match on.
 */

import { RETRYABLE_ERROR_CODES, type ErrorCode } from "./generated/protocol.js";

const RETRYABLE: ReadonlySet<string> = new Set(RETRYABLE_ERROR_CODES);

/** Codes the client itself produces (never sent by the server). */
export type ClientErrorCode =
  /** The offline queue is full: the command was not queued. */
  | "queue_full"
  /** The client was closed before the command was answered. */
  | "client_closed"
  /** The command could not be answered after every retry. */
  | "retries_exhausted"
  /** The auth function failed to produce a token. */
  | "auth_unavailable"
  /** The message would exceed the server's `max_frame_bytes`. */
  | "message_too_large"
  /** The server sent something this client cannot read. */
  | "protocol_error"
  /** `createClient` or a method was called with unusable arguments. */
  | "invalid_options"
  /** The REST request got no answer (network down, CORS) or an unreadable one. */
  | "network_error";

/** A code from the server (known to this version) or from the client. */
export type Code = ErrorCode | ClientErrorCode | (string & {});

/** The base of every error the client reports. */
export class CorkboardError extends Error {
  /** A stable machine code. */
  readonly code: Code;
  /** Whether the same request may succeed later, unchanged. */
  readonly retryable: boolean;
  /** The server's structured details (the rejection's fields, `retry_after_ms`…). */
  readonly details: unknown;

  constructor(code: Code, message: string, options: { retryable?: boolean; details?: unknown } = {}) {
    super(message);
    this.name = "CorkboardError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  /** The server's `retry_after_ms`, when it sent one. */
  get retryAfterMs(): number | undefined {
    const d = this.details as { retry_after_ms?: unknown } | null | undefined;
    return typeof d?.retry_after_ms === "number" ? d.retry_after_ms : undefined;
  }
}

/** A command the server refused (`rejected`), or that could not be sent. */
export class CommandRejected extends CorkboardError {
  /** The command's id. */
  readonly commandId: string;
  /** Its board. */
  readonly board: string;

  constructor(commandId: string, board: string, code: Code, message: string, options: { retryable?: boolean; details?: unknown } = {}) {
    super(code, message, options);
    this.name = "CommandRejected";
    this.commandId = commandId;
    this.board = board;
  }
}

/**
 * An organization command (`client.orgCommand`, `org.send`) the server
 * refused (`rejected`), or that could not be sent. A sibling of
 * {@link CommandRejected}: it names the organization, not a board.
 */
export class OrgCommandRejected extends CorkboardError {
  /** The command's id. */
  readonly commandId: string;
  /** Its organization. */
  readonly org: string;

  constructor(commandId: string, org: string, code: Code, message: string, options: { retryable?: boolean; details?: unknown } = {}) {
    super(code, message, options);
    this.name = "OrgCommandRejected";
    this.commandId = commandId;
    this.org = org;
  }
}

/** An `error` message from the server (a subscribe refused, a bad frame…). */
export class ServerError extends CorkboardError {
  /** The board concerned, when there is one. */
  readonly board: string | undefined;

  constructor(code: Code, message: string, board?: string) {
    super(code, message, { retryable: RETRYABLE.has(code) });
    this.name = "ServerError";
    this.board = board;
  }
}

/** The connection ended for good: the client will not reconnect by itself. */
export class ConnectionClosed extends CorkboardError {
  /** The WebSocket close code. */
  readonly closeCode: number;

  constructor(code: Code, message: string, closeCode: number) {
    super(code, message);
    this.name = "ConnectionClosed";
    this.closeCode = closeCode;
  }
}

/** A REST request answered with an error status. */
export class RestError extends CorkboardError {
  /** The HTTP status. */
  readonly status: number;
  /** The request's id (quote it when reporting a problem). */
  readonly requestId: string | undefined;

  constructor(status: number, code: Code, message: string, options: { retryable?: boolean; details?: unknown; requestId?: string } = {}) {
    super(code, message, options);
    this.name = "RestError";
    this.status = status;
    this.requestId = options.requestId;
  }
}
