/**
 * The two wire encodings. JSON travels in text frames; MessagePack (named
 * fields, UUIDs as strings — the server's human-readable mode) in binary
 * frames. `@msgpack/msgpack` is loaded only when MessagePack is chosen, so
 * a JSON-only bundle does not carry it.
 */

import type { ClientMsg, ServerMsg } from "./generated/protocol.js";
import { JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL } from "./generated/protocol.js";

/** The wire encoding of a connection. */
export type Format = "json" | "msgpack";

/** Encodes client messages and decodes server messages for one format. */
export interface Codec {
  /** The WebSocket subprotocol to offer. */
  readonly subprotocol: string;
  /** The frame for a message. */
  encode(msg: ClientMsg): string | Uint8Array;
  /** The message in a frame (throws on a frame that cannot be read). */
  decode(frame: string | ArrayBuffer | Uint8Array): ServerMsg;
  /** The size in bytes of an encoded frame. */
  size(frame: string | Uint8Array): number;
}

/** The UTF-8 length of a string (lone surrogates count as U+FFFD, as `TextEncoder` writes them), counted without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: one 4-byte character.
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** The size in bytes of a frame. */
const frameSize = (frame: string | Uint8Array): number => (typeof frame === "string" ? utf8Length(frame) : frame.length);

function jsonCodec(): Codec {
  return {
    subprotocol: JSON_SUBPROTOCOL,
    encode: (msg) => JSON.stringify(msg),
    decode: (frame) => {
      if (typeof frame !== "string") throw new Error("a binary frame on a JSON connection");
      return JSON.parse(frame) as ServerMsg;
    },
    size: frameSize,
  };
}

async function msgpackCodec(): Promise<Codec> {
  const { Encoder, Decoder } = await import("@msgpack/msgpack");
  const encoder = new Encoder({ ignoreUndefined: true });
  const decoder = new Decoder();
  return {
    subprotocol: MSGPACK_SUBPROTOCOL,
    encode: (msg) => encoder.encode(msg),
    decode: (frame) => {
      if (typeof frame === "string") throw new Error("a text frame on a MessagePack connection");
      return decoder.decode(frame instanceof Uint8Array ? frame : new Uint8Array(frame)) as ServerMsg;
    },
    size: frameSize,
  };
}

/** The codec for `format` (MessagePack's library is imported on first use). */
export async function codecFor(format: Format): Promise<Codec> {
  return format === "msgpack" ? msgpackCodec() : jsonCodec();
}
