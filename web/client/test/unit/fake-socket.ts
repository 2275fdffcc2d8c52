/**
 * A scripted WebSocket for tests of the whole client: each socket the
 * client opens is kept, and the test opens it, speaks for the server
 * (JSON frames) and drops it.
 */

import type { ClientMsg, ServerMsg } from "../../src/generated/protocol.js";

/** One socket the client opened. */
export class FakeSocket {
  readyState = 0;
  binaryType = "blob";
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  /** What the client sent, decoded. */
  readonly sent: ClientMsg[] = [];

  constructor(
    readonly url: string,
    readonly protocol: string,
  ) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMsg);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  // --- the server's side ---

  /** The connection opens (the client sends `auth`). */
  accept(): void {
    this.readyState = 1;
    this.onopen?.();
  }

  /** A message from the server. */
  receive(msg: ServerMsg): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }

  /** The network drops the connection. */
  drop(): void {
    this.close(1006, "dropped");
  }
}

/** A WebSocket constructor for `createClient`, and every socket it made. */
export function fakeSockets(): { WebSocket: typeof WebSocket; sockets: FakeSocket[]; next(): Promise<FakeSocket> } {
  const sockets: FakeSocket[] = [];
  class Socket extends FakeSocket {
    constructor(url: string, protocol: string) {
      super(url, protocol);
      sockets.push(this);
    }
  }
  let seen = 0;
  return {
    WebSocket: Socket as unknown as typeof WebSocket,
    sockets,
    /** The next socket the client opens (it connects asynchronously). */
    async next(): Promise<FakeSocket> {
      const deadline = Date.now() + 5_000;
      while (sockets.length <= seen) {
        if (Date.now() > deadline) throw new Error("the client opened no new socket within 5 s");
        await new Promise((r) => setTimeout(r, 1));
      }
      return sockets[seen++] as FakeSocket;
    },
  };
}
