"""The Python half of tests/api/smtp_server.rs (needs aiosmtpd 1.4).

As an aiosmtpd handler, a maildir that refuses chosen recipients:

    python -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_harness.Refusing MAILDIR ADDRESS=CODE...

(with this directory on PYTHONPATH): RCPT TO one of the ADDRESSes is
answered with its CODE (550: a permanent refusal, 450: try later); every
other recipient is accepted and the message stored as the stock
`aiosmtpd.handlers.Mailbox` stores it.

As a program, every message of a maildir decoded, as JSON on stdout:

    python smtp_harness.py decode MAILDIR

Each message: its file, the envelope recipients, the headers as decoded
text (RFC 2047 words undone), the text/plain and text/html bodies (transfer
encoding undone) and every defect Python's email parser found in it.
"""

import email
import email.policy
import json
import os
import sys

from aiosmtpd.handlers import Mailbox


class Refusing(Mailbox):
    """A Mailbox that refuses some recipients with a chosen reply code."""

    def __init__(self, mail_dir, rules):
        super().__init__(mail_dir)
        self.rules = rules

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) < 1:
            parser.error("usage: MAILDIR [ADDRESS=CODE ...]")
        rules = {}
        for arg in args[1:]:
            address, _, code = arg.rpartition("=")
            if not address or not code.isdigit():
                parser.error(f"not ADDRESS=CODE: {arg}")
            rules[address.lower()] = int(code)
        return cls(args[0], rules)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.rules.get(address.lower())
        if code is not None:
            status = "5.1.1" if code >= 500 else "4.2.1"
            return f"{code} {status} <{address}>: refused by the test server"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"


def decode(maildir):
    messages = []
    new = os.path.join(maildir, "new")
    for name in sorted(os.listdir(new)):
        with open(os.path.join(new, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        defects = [repr(d) for part in msg.walk() for d in part.defects]
        rcpt_to = [a.strip() for a in str(msg.get("X-RcptTo", "")).split(",") if a.strip()]
        messages.append(
            {
                "file": name,
                "rcpt_to": rcpt_to,
                "headers": [[k, str(v)] for k, v in msg.items()],
                "text": text.get_content() if text is not None else "",
                "html": html.get_content() if html is not None else None,
                "defects": defects,
            }
        )
    return messages


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "decode":
        sys.exit("usage: smtp_harness.py decode MAILDIR")
    json.dump(decode(sys.argv[2]), sys.stdout)
