/**
 * `@corkboard/client`: Corkboard's promises — an ack means committed,
 * resume is gap-free, a retried command applies once — as an API.
 * See README.md for examples and the reference.
 */

export { createClient, Client, endpoints, type ClientOptions } from "./client.js";
export { BoardHandle, type BoardChange, type BoardStatus } from "./board.js";
export { OrgHandle, type OrgState, type OrgStatus } from "./org.js";
export type { Auth, Status } from "./connection.js";
export type { Format } from "./codec.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export { MemoryStore, Outbox, DEFAULT_MAX_QUEUE, type CommandStore, type StoredCommand } from "./queue.js";
export { IndexedDBStore } from "./indexeddb.js";
export { CorkboardError, CommandRejected, OrgCommandRejected, ServerError, ConnectionClosed, RestError, type Code, type ClientErrorCode } from "./errors.js";
export { Rest, type Schemas, type Success } from "./rest.js";
export { cachedToken, tokenExpiry } from "./token.js";
export { applyEvent, emptyBoard, cloneBoard, byPosition, compareStrings } from "./fold.js";
export { predict, isProvisional } from "./predict.js";
export { between, isValid as isValidPosition } from "./position.js";
export type * from "./generated/protocol.js";
// The generated constants, but not `ERROR_CODE_DESCRIPTIONS` (the server's
// wording of every code, for UIs): it is `@corkboard/client/codes`, so an
// app that does not show it does not carry it.
export {
  JSON_SUBPROTOCOL,
  MSGPACK_SUBPROTOCOL,
  COMMAND_ID_MAX,
  PRESENCE_MIN_INTERVAL_MS,
  CLIENT_TYPES,
  SERVER_TYPES,
  COMMAND_TYPES,
  EVENT_TYPES,
  ORG_EVENT_TYPES,
  ORG_REQUEST_TYPES,
  CLOSE,
  CLOSE_RECONNECT,
  CLOSE_TERMINAL,
  ERROR_CODES,
  RETRYABLE_ERROR_CODES,
} from "./generated/protocol.js";
