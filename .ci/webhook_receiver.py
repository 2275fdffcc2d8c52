"""A webhook receiver that verifies every request with the official
Standard Webhooks library (PyPI `standardwebhooks`), for the tests in
tests/api/webhooks_standard.rs. It prints its port on the first line of
stdout, then serves on 127.0.0.1:

- POST /_secrets  {"secrets": ["whsec_…", …]}  the secrets to verify with;
- POST /hook      a delivery: answered 500 for the first FAIL_FIRST requests
                  (argv[1]), then 204; each is checked against every secret;
- GET  /_log      what came: webhook-id, the status answered, the body's
                  type and data, and which secrets verified it.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

FAIL_FIRST = int(sys.argv[1]) if len(sys.argv) > 1 else 0
LOCK = Lock()
SECRETS: list[str] = []
LOG: list[dict] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/_log":
            return self._answer(404)
        with LOCK:
            body = json.dumps(LOG).encode()
        self._answer(200, body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/_secrets":
            with LOCK:
                SECRETS[:] = json.loads(body)["secrets"]
            return self._answer(204)
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified = []
        with LOCK:
            secrets = list(SECRETS)
        for i, secret in enumerate(secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(i)
            except WebhookVerificationError:
                pass
        with LOCK:
            status = 500 if len(LOG) < FAIL_FIRST else 204
            payload = json.loads(body)
            LOG.append(
                {
                    "id": headers.get("webhook-id"),
                    "status": status,
                    "type": payload.get("type"),
                    "data": payload.get("data"),
                    "verified": verified,
                }
            )
        self._answer(status, b"" if status == 204 else b"failing on purpose")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
