/**
 * An organization's channel: its members and boards as of the
 * `org_snapshot`, kept current by `org_event`s. The channel is ephemeral
 * (the server sends a fresh snapshot on every subscribe), so after a
 * reconnect the state is replaced, not merged.
 *
 * `send` runs an organization command; it is `client.orgCommand(id, …)`
 * and works whether or not the channel is followed.
 */

import { Emitter } from "./emitter.js";
import type { CorkboardError } from "./errors.js";
import type { BoardId, Member, OrgEvent, OrgId, OrgRequest } from "./generated/protocol.js";

/** What the client knows about an organization. */
export interface OrgState {
  name: string;
  /** The item key (`DS` in `DS-123`). */
  key: string;
  members: Member[];
  /** Every board, oldest first. */
  boards: BoardId[];
  /** Boards archived since the snapshot (the snapshot lists boards only). */
  archived: BoardId[];
}

/** Where an organization's channel is. */
export type OrgStatus = "subscribing" | "resuming" | "live" | "unsubscribed" | "failed";

type Events = {
  change: { event?: OrgEvent; at?: number };
  status: OrgStatus;
};

/** The org side of the client. */
export interface OrgHost {
  unsubscribeOrg(org: OrgId): void;
  orgCommand(org: OrgId, command: OrgRequest): Promise<{ seq: number }>;
}

export class OrgHandle extends Emitter<Events> {
  status: OrgStatus = "subscribing";
  /** Why the channel ended, when it did. */
  error: CorkboardError | undefined;
  state: OrgState | null = null;

  constructor(
    readonly id: OrgId,
    private readonly host: OrgHost,
  ) {
    super();
  }

  /**
   * Runs an organization command (change a role, remove a member…):
   * resolves `{seq}` once committed, or rejects with `OrgCommandRejected`.
   * The same as `client.orgCommand(org.id, command)`.
   */
  send(command: OrgRequest): Promise<{ seq: number }> {
    return this.host.orgCommand(this.id, command);
  }

  /** Stops following the organization. */
  close(): void {
    this.host.unsubscribeOrg(this.id);
  }

  /** @internal */
  setStatus(status: OrgHandle["status"], error?: CorkboardError): void {
    this.status = status;
    this.error = error;
    this.emit("status", status);
  }

  /** @internal */
  onSnapshot(name: string, key: string, members: Member[], boards: BoardId[]): void {
    this.state = { name, key, members: [...members], boards: [...boards], archived: [] };
    this.setStatus("live");
    this.emit("change", {});
  }

  /** @internal */
  onEvent(event: OrgEvent, at: number): void {
    const s = this.state;
    if (!s) return;
    switch (event.type) {
      case "member_added":
        s.members = [...s.members.filter((m) => m.user !== event.user), { user: event.user, role: event.role }];
        break;
      case "member_role_changed":
        s.members = s.members.map((m) => (m.user === event.user ? { user: m.user, role: event.role } : m));
        break;
      case "member_removed":
        s.members = s.members.filter((m) => m.user !== event.user);
        break;
      case "board_created":
        if (!s.boards.includes(event.board)) s.boards = [...s.boards, event.board];
        break;
      case "board_archived":
        if (!s.archived.includes(event.board)) s.archived = [...s.archived, event.board];
        break;
      case "board_restored":
        s.archived = s.archived.filter((b) => b !== event.board);
        break;
    }
    this.emit("change", { event, at });
  }
}
