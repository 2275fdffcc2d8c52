/**
 * The development mail outbox, read as a person would: with no SMTP relay
 * configured, the server writes each message as an `.eml` file under
 * `<data dir>/mail/` (docs/mail.md). This reads those files — headers,
 * the MIME parts, quoted-printable and base64 undone — and finds the
 * links in them, so a test follows the link a person would click.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One message of the outbox. */
export interface Mail {
  file: string;
  to: string;
  subject: string;
  /** The text/plain part, its transfer encoding undone. */
  text: string;
}

/** Headers (folded lines joined) and body of one MIME entity. */
function split(entity: string): { headers: Map<string, string>; body: string } {
  const at = entity.search(/\r?\n\r?\n/);
  const head = at < 0 ? entity : entity.slice(0, at);
  const body = at < 0 ? "" : entity.slice(at).replace(/^\r?\n\r?\n/, "");
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) headers.set(last, `${headers.get(last)} ${line.trim()}`);
    else {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      headers.set(last, line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

/** Quoted-printable (RFC 2045 §6.7) to text: soft line breaks joined, `=XX` bytes decoded as UTF-8. */
export function unquote(body: string): string {
  const joined = body.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]!, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function decode(headers: Map<string, string>, body: string): string {
  const encoding = (headers.get("content-transfer-encoding") ?? "").toLowerCase();
  const text = encoding === "quoted-printable" ? unquote(body) : encoding === "base64" ? Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8") : body;
  return text.replace(/\r\n/g, "\n");
}

/** The text/plain part of a MIME entity (the entity itself when it is not multipart). */
function plainText(entity: string): string | undefined {
  const { headers, body } = split(entity);
  const type = headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith("--")) break;
      const found = plainText(part.replace(/^\r?\n/, ""));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return /^text\/plain/i.test(type) ? decode(headers, body) : undefined;
}

/** Every message in the outbox of `dataDir`, oldest first (the file names sort by time). */
export function readOutbox(dataDir: string): Mail[] {
  let files: string[];
  try {
    files = readdirSync(join(dataDir, "mail")).filter((f) => f.endsWith(".eml")).sort();
  } catch {
    return []; // No mail written yet.
  }
  return files.map((file) => {
    const raw = readFileSync(join(dataDir, "mail", file), "utf8");
    const { headers } = split(raw);
    return { file, to: headers.get("to") ?? "", subject: headers.get("subject") ?? "", text: plainText(raw) ?? "" };
  });
}

/** The address of a `To` header (`"Ada" <ada@example.com>` or `ada@example.com`), lower-cased. */
export function addressOf(to: string): string {
  return (/<([^>]+)>/.exec(to)?.[1] ?? to).trim().toLowerCase();
}

/**
 * Waits until the outbox holds `count` messages to `address` whose subject
 * contains `subject`, and answers the newest. Mail is sent by a job after
 * the request is answered, so it arrives a little later.
 */
export async function waitForMail(dataDir: string, address: string, subject: string, options: { count?: number; timeoutMs?: number } = {}): Promise<Mail> {
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const to = address.toLowerCase();
    const found = readOutbox(dataDir).filter((m) => addressOf(m.to) === to && m.subject.includes(subject));
    if (found.length >= count) return found[found.length - 1]!;
    if (Date.now() > deadline) {
      throw new Error(`no ${count > 1 ? `${count} messages` : "message"} "${subject}" to ${address} in ${dataDir}/mail within the wait; there are: ${readOutbox(dataDir).map((m) => `${m.to}: ${m.subject}`).join("; ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first link in `mail` to `path` on any origin (`http://localhost:1234/reset-password?token=…`). */
export function linkTo(mail: Mail, path: string): URL {
  const found = mail.text.match(new RegExp(`https?://[^\\s/]+${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\?[^\\s]+`));
  if (!found) throw new Error(`no ${path} link in ${mail.file}:\n${mail.text}`);
  return new URL(found[0]);
}
