/**
 * `@corkboard/client/codes`: the server's description of every error code
 * (generated from `protocol/src/codes.rs`), for a UI that explains a
 * refusal in words. Separate from the main entry so apps that do not show
 * it do not carry it.
 */

export { ERROR_CODE_DESCRIPTIONS, ERROR_CODES, RETRYABLE_ERROR_CODES, type ErrorCode } from "./generated/protocol.js";
