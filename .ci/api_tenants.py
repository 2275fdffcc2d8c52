#!/usr/bin/env python3
"""Two tenants for the API contract run, and the cross-tenant check.

    api_tenants.py setup BASE_URL OUT_JSON
        Registers two users, each with their own organization, board, item,
        comment, invite and API key, and writes their tokens and ids to
        OUT_JSON.

    api_tenants.py cross-tenant BASE_URL TENANTS_JSON
        Replays user 2's ids in every GET route of the served OpenAPI
        document with user 1's access token (each must answer 404) and with
        user 1's API key (each must answer exactly as for ids that exist
        nowhere, never 2xx); no answer may contain any of user 2's ids.
        Routes without path parameters (my orgs, me, sessions) are read too,
        and must not mention user 2's ids either. The operator routes
        (/api/v1/admin/...) must refuse both (403) for any id alike, for
        every method (users, orgs, jobs, audit). User 1's own audit log
        (/api/v1/orgs/{org}/audit, user 1 owns that org) must answer 200
        without any of user 2's ids; user 2's answers 404.

Standard library only. Exits 1 naming every finding.
"""

import json
import re
import sys
import urllib.error
import urllib.request
import uuid

PASSWORD = "correct horse battery staple"


def call(base, method, path, token=None, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed, raw.decode(errors="replace")


def expect(status, want, what, body):
    if status != want:
        sys.exit(f"setup: {what} answered {status}, expected {want}: {body}")


def tenant(base, n):
    """One user with an org, a board, an item, a comment, an invite and a key."""
    tag = uuid.uuid4().hex[:8]
    email = f"tenant{n}-{tag}@example.com"
    s, b, raw = call(base, "POST", "/api/v1/auth/register",
                     body={"email": email, "password": PASSWORD, "name": f"Tenant {n}"})
    expect(s, 202, "register", raw)
    s, b, raw = call(base, "POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})
    expect(s, 200, "login", raw)
    token, user, session = b["access_token"], b["user"]["id"], b["session_id"]
    key = "T" + tag.upper()[:5].replace("0", "A")
    key = re.sub(r"[^A-Z0-9]", "A", key)
    s, org, raw = call(base, "POST", "/api/v1/orgs", token, {"name": f"Org {n}", "key": key})
    expect(s, 201, "create org", raw)
    s, created, raw = call(base, "POST", f"/api/v1/orgs/{org['id']}/boards", token, {"name": f"Board {n}"})
    expect(s, 201, "create board", raw)
    board = created["board"]
    s, ack, raw = call(base, "POST", f"/api/v1/boards/{board['id']}/commands", token,
                       {"type": "create_item", "title": f"Item of tenant {n}"})
    expect(s, 200, "create item", raw)
    item = ack["events"][0]["event"]
    s, ack, raw = call(base, "POST", f"/api/v1/boards/{board['id']}/commands", token,
                       {"type": "add_comment", "item": item["item"], "body": "a comment"})
    expect(s, 200, "add comment", raw)
    comment = ack["events"][0]["event"]["comment"]
    s, invite, raw = call(base, "POST", f"/api/v1/orgs/{org['id']}/invites", token, {"role": "member"})
    expect(s, 201, "create invite", raw)
    s, api_key, raw = call(base, "POST", f"/api/v1/orgs/{org['id']}/api-keys", token,
                           {"name": "contract", "role": "admin"})
    expect(s, 201, "create API key", raw)
    # A public address literal: it passes the internal-address check without
    # DNS; deliveries to it fail, which is fine here.
    s, webhook, raw = call(base, "POST", f"/api/v1/orgs/{org['id']}/webhooks", token,
                           {"url": "http://93.184.216.34/corkboard", "event_types": ["org.org_renamed"]})
    expect(s, 201, "create webhook endpoint", raw)
    return {
        "email": email, "token": token, "api_key": api_key["key"],
        "ids": {
            "user": user, "session": session, "org": org["id"], "org_key": org["key"],
            "board": board["id"], "column": board["columns"][0]["id"], "item": item["item"],
            "number": f"{org['key']}-{item['number']}", "comment": comment,
            "invite": invite["id"], "api_key": api_key["id"], "webhook": webhook["id"],
        },
    }


# Which of user 2's ids fills a path parameter, by the parameter's name
# (and, for the generic `id`, the path's resource).
def fill(path, ids):
    def one(m):
        name = m.group(1)
        before = path[: m.start()]
        if name == "id" and before.startswith("/api/v1/admin/jobs/"):
            # Jobs belong to the instance, not a tenant: job 1 exists (the
            # first scheduled job); no tenant may read it.
            return ids.get("job", "1")
        if name == "id" and before.startswith("/api/v1/admin/users/"):
            return ids["user"]
        if name == "id":
            for resource, key in (("sessions", "session"), ("invites", "invite"), ("api-keys", "api_key"),
                                  ("webhooks", "webhook")):
                if before.endswith(f"/{resource}/"):
                    return ids[key]
            raise KeyError(f"no tenant id for {{id}} in {path}")
        if name == "label":
            return "bug"
        return ids[name]
    return re.sub(r"\{([^}]+)\}", one, path)


def random_ids(ids):
    """Ids of the same kinds that exist nowhere."""
    out = {k: str(uuid.uuid4()) for k in ids}
    out["number"] = "ZZZZ-1"
    out["job"] = "999999999"
    return out


def cross_tenant(base, tenants_file):
    with open(tenants_file) as f:
        one, two = json.load(f)
    # A fresh login: the fuzzing run may have revoked the token it used.
    s, b, raw = call(base, "POST", "/api/v1/auth/login", body={"email": one["email"], "password": PASSWORD})
    expect(s, 200, "login of user 1", raw)
    _, spec, _ = call(base, "GET", "/api/v1/openapi.json")
    theirs = {v for k, v in two["ids"].items() if k != "org_key"}
    nowhere = random_ids(two["ids"])
    findings, checked = [], 0
    for path, item in sorted(spec["paths"].items()):
        if "get" not in item:
            continue
        for who, token in (("user 1", b["access_token"]), ("user 1's API key", one["api_key"])):
            url = fill(path, two["ids"])
            status, body, raw = call(base, "GET", url, token)
            checked += 1
            leaked = sorted(i for i in theirs if i in raw)
            if leaked:
                findings.append(f"GET {url} as {who}: the answer contains user 2's {leaked}")
            if "{" not in path:
                continue
            # User 2's ids must answer exactly like ids that exist nowhere
            # (404, or the same refusal a route gives any id, such as an
            # API key on a user-only route), and never succeed.
            r_status, r_body, _ = call(base, "GET", fill(path, nowhere), token)
            code = (body or {}).get("code")
            same = (status, code) == (r_status, (r_body or {}).get("code"))
            # Operator routes refuse every tenant alike (403), whatever the id.
            wanted = 403 if path.startswith("/api/v1/admin/") else 404
            if status < 400 or not same or (who == "user 1" and status != wanted):
                findings.append(
                    f"GET {url} as {who}: {status} {code}; unknown ids answer {r_status}: {raw[:200]}")
    # Every operator route, whatever its method, refuses both credentials
    # (403), with user 2's ids in its path: a tenant can neither read nor
    # change another tenant's account through them.
    for path, item in sorted(spec["paths"].items()):
        if not path.startswith("/api/v1/admin/"):
            continue
        for method in sorted(m for m in item if m in ("get", "post", "put", "patch", "delete")):
            for who, token in (("user 1", b["access_token"]), ("user 1's API key", one["api_key"])):
                url = fill(path, two["ids"])
                body = {} if method in ("post", "put", "patch") else None
                status, answer, raw = call(base, method.upper(), url, token, body)
                checked += 1
                if status != 403:
                    findings.append(f"{method.upper()} {url} as {who}: {status}, expected 403: {raw[:200]}")
    # The audit log of user 1's own organization is theirs to read, and
    # holds nothing of user 2's.
    status, _, raw = call(base, "GET", f"/api/v1/orgs/{one['ids']['org']}/audit?limit=200", b["access_token"])
    checked += 1
    leaked = sorted(i for i in theirs if i in raw)
    if status != 200 or leaked:
        findings.append(f"GET user 1's audit log: {status}, user 2's ids {leaked}: {raw[:200]}")
    print(f"cross-tenant: {checked} requests with user 2's ids, {len(findings)} findings")
    for f in findings:
        print("  FINDING:", f)
    return 1 if findings else 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("setup", "cross-tenant"):
        sys.exit(__doc__)
    cmd, base, path = sys.argv[1:]
    base = base.rstrip("/")
    if cmd == "setup":
        tenants = [tenant(base, 1), tenant(base, 2)]
        with open(path, "w") as f:
            json.dump(tenants, f, indent=1)
        # Schemathesis fills these path parameters with user 1's own ids,
        # so the run reaches past the 404 of unknown ids.
        ids = tenants[0]["ids"]
        with open(path + ".toml", "w") as f:
            f.write("[parameters]\n")
            for name in ("org", "board", "column", "item", "number", "user", "comment"):
                f.write(f'"path.{name}" = "{ids[name]}"\n')
        print(f"setup: two tenants, orgs {tenants[0]['ids']['org']} and {tenants[1]['ids']['org']}")
        return 0
    return cross_tenant(base, path)


if __name__ == "__main__":
    sys.exit(main())
