#!/usr/bin/env bash
# A first session against a running server: register, log in, create an
# organization, a board and a card, and read the card back by its number.
# Needs curl and jq. Safe to run again: it reuses what the last run made.
set -euo pipefail
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "first session: please install $tool" >&2; exit 1; }
done
API="${CORKBOARD_URL:-http://localhost:8080}/api/v1"
TOKEN=""

# call METHOD PATH [BODY] [curl options]: print the answer's body; on any
# answer but 2xx, show it and stop.
call() {
  local method=$1 path=$2 body=${3:-} answer status
  shift $(($# < 3 ? $# : 3))
  local args=(-sS -X "$method" "$API$path" -w '\n%{http_code}')
  [ -n "$TOKEN" ] && args+=(-H "authorization: Bearer $TOKEN")
  [ -n "$body" ] && args+=(-H 'content-type: application/json' -d "$body")
  answer=$(curl "${args[@]}" "$@") || { echo "first session: $method $path: no answer" >&2; exit 1; }
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  if [[ $status != 2* ]]; then
    echo "first session: $method $path answered $status: $answer" >&2
    exit 1
  fi
  printf '%s\n' "$answer"
}

# 1. Register (answered 202 whether or not the email is taken) and log in:
#    an access token (15 minutes) plus a refresh token.
call POST /auth/register '{"email":"ada@example.com","password":"correct horse battery","name":"Ada"}' >/dev/null
TOKEN=$(call POST /auth/login '{"email":"ada@example.com","password":"correct horse battery"}' | jq -er .access_token)

# 2. The organization with key DS (its cards are DS-1, DS-2, …) and its board.
ORG=$(call GET '/orgs?limit=200' | jq -r 'first(.orgs[] | select(.key == "DS") | .id) // empty')
[ -n "$ORG" ] || ORG=$(call POST /orgs '{"name":"Design","key":"DS"}' | jq -er .id)
BOARD=$(call GET "/orgs/$ORG/boards?limit=200" | jq -r 'first(.boards[] | select(.name == "Roadmap") | .id) // empty')
[ -n "$BOARD" ] || BOARD=$(call POST "/orgs/$ORG/boards" '{"name":"Roadmap"}' | jq -er .board.id)

# 3. A card, through the same command the WebSocket carries. The
#    Idempotency-Key makes a retry (or a second run) return the first outcome.
NUMBER=$(call POST "/boards/$BOARD/commands" '{"type":"create_item","title":"Write the spec"}' \
  -H 'idempotency-key: first-card' | jq -er '.events[0].event.number')
call GET "/orgs/$ORG/items/DS-$NUMBER" | jq .

# For the browser example below (the token expires 15 minutes after login):
echo "TOKEN=$TOKEN"
echo "BOARD=$BOARD"
