#!/usr/bin/env bash
# SQL injection, tried as an attacker would: sqlmap against the axum example server
# on loopback, on SQLite and (when DATABASE_URL names a PostgreSQL server) PostgreSQL,
# with a logged-in contact's cookie and CSRF token and the staff API's token, at every
# parameter of the routes that reach the store: query strings, path ids, form fields,
# JSON fields, and (from --level 2) the session cookie, (at 3) the user agent.
# Risk 3 adds OR-based payloads, which could rewrite every row of a vulnerable UPDATE:
# the databases are throwaway ones made for the run.
#
# Not part of the default test run (it takes minutes); its last result is in
# SECURITY.md and benches/RESULTS.md. Exits non-zero if sqlmap finds any parameter
# injectable, or if a run cannot log in.
#
# Usage: benches/sqlmap.sh [level=3] [risk=3] [seconds per target=600]
# SQLMAP_LOGS=DIR keeps each run's sqlmap output there; SQLMAP_STORES="sqlite" (or
# "postgres") runs against one store only.
# Needs sqlmap (pip install sqlmap), curl, python3; psql for the PostgreSQL run.
set -euo pipefail
cd "$(dirname "$0")/.."
level="${1:-3}"; risk="${2:-3}"; budget="${3:-600}"
command -v sqlmap >/dev/null || { echo "sqlmap is not installed (pip install sqlmap)" >&2; exit 1; }
cargo build -q -p portal-examples --bin axum-portal
bin="$PWD/target/debug/axum-portal"
if [ -n "${CARGO_TARGET_DIR:-}" ]; then bin="$CARGO_TARGET_DIR/debug/axum-portal"; fi

admin_token="sqlmap-admin-token-0123456789"
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "${pg_db:-}" ] && psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Starts the server on $1 (a DATABASE_URL), logs jane in, and sets base, cookie, csrf,
# client, task, contact.
start() {
  local port; port=$(free_port)
  base="http://127.0.0.1:$port"
  (cd "$work" && PORTAL_ADDR="127.0.0.1:$port" DATABASE_URL="$1" PORTAL_DEMO=1 \
     PORTAL_ADMIN_TOKEN="$admin_token" exec "$bin" >server.out 2>server.log) &
  pid=$!
  for _ in $(seq 200); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.05; done
  curl -sf -X POST -d 'email=jane@example.com' "$base/portal/login/link" >/dev/null
  local link=""
  for _ in $(seq 50); do
    link=$(curl -sf "$base/dev/outbox" | json '[m for m in d if m["kind"]=="login"][-1]["links"][0] if any(m["kind"]=="login" for m in d) else ""')
    [ -n "$link" ] && break; sleep 0.1
  done
  cookie=$(curl -si -X POST -d "token=${link##*/}" "$base/portal/auth/link" | sed -n 's/^set-cookie: \(portal_session=[^;]*\);.*/\1/ip')
  local me; me=$(curl -sf -H "Cookie: $cookie" "$base/portal/api/me") || { echo "login failed" >&2; exit 1; }
  csrf=$(json 'd["csrf_token"]' <<<"$me")
  client=$(json 'd["active_client"]["id"]' <<<"$me")
  contact=$(json 'd["contact_id"]' <<<"$me")
  task=$(curl -sf -H "Cookie: $cookie" "$base/portal/api/clients/$client/tasks" | json '[t for t in d if t["assignee"]=="client"][0]["id"]')
}

# One sqlmap run; prints its verdict and keeps its log. The portal answers most
# payloads 4xx (a wrong password 401, a mangled session cookie 401, an id that is not
# one 404): sqlmap is told to carry on past those instead of giving up.
probe() { # dbms name url [sqlmap args...]
  local dbms="$1" name="$2" url="$3"; shift 3
  local log="$work/$dbms-$name.log" verdict started; started=$(date +%s)
  timeout "$budget" sqlmap -u "$url" "$@" --batch --dbms="$dbms" --level="$level" --risk="$risk" \
    --time-sec=2 --timeout=10 --retries=0 --flush-session --disable-coloring --skip-waf \
    --ignore-code=401,403,404,409,410,429 \
    --output-dir="$work/sqlmap" >"$log" 2>&1 || true
  # Only sqlmap's own closing line counts as "tested, nothing found": a run cut short
  # by the budget or by an answer it gave up on is incomplete, and fails the script.
  if grep -qiE "is vulnerable|sqlmap identified the following injection point" "$log"; then
    verdict="INJECTABLE"; found=1
  elif grep -qi "all tested parameters do not appear to be injectable" "$log"; then
    verdict="not-injectable"
  else
    verdict="INCOMPLETE"; incomplete=1
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    local status=0; wait "$pid" || status=$?
    echo "the server stopped (exit status $status) during $dbms $name; its log:" >&2
    tail -20 "$work/server.log" >&2; exit 1
  fi
  local took=$(( $(date +%s) - started ))
  printf '%-11s %-16s %-22s %4s s\n' "$dbms" "$name" "$verdict" "$took"
  if [ -n "${SQLMAP_LOGS:-}" ]; then mkdir -p "$SQLMAP_LOGS" && cp "$log" "$SQLMAP_LOGS/"; fi
}

run_all() { # dbms
  local d="$1"
  local staff=(-H "Authorization: Bearer $admin_token")
  local session=(--cookie="$cookie" -H "X-CSRF-Token: $csrf" -H "Origin: $base")
  probe "$d" audit-query "$base/admin/api/audit?contact_id=$contact&after=0&limit=10" "${staff[@]}"
  probe "$d" contact-path "$base/admin/api/contacts/$contact*" "${staff[@]}"
  probe "$d" invite-json "$base/admin/api/contacts" "${staff[@]}" \
    --data="{\"email\":\"x@example.com\",\"first_name\":\"X\",\"client_ids\":[\"$client\"]}"
  probe "$d" task-json "$base/admin/api/clients/$client/tasks" "${staff[@]}" \
    --data='{"title":"T","phase":"P","description":"D","due_on":"2026-12-31","assignee":"client"}'
  probe "$d" client-json "$base/admin/api/clients" "${staff[@]}" --data='{"name":"N"}'
  probe "$d" login-link-form "$base/portal/login/link" -H "Origin: $base" \
    --data='email=jane@example.com&next=/portal/'
  probe "$d" password-form "$base/portal/login/password" -H "Origin: $base" \
    --data='email=jane@example.com&password=correct-horse-battery-staple'
  probe "$d" redeem-form "$base/portal/auth/link" -H "Origin: $base" \
    --data='token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
  probe "$d" tasks-path "$base/portal/api/clients/$client*/tasks" "${session[@]}"
  probe "$d" complete-form "$base/portal/api/tasks/$task/complete" "${session[@]}" \
    --data='note=sent+by+post'
  probe "$d" switch-json "$base/portal/api/switch" "${session[@]}" \
    --data="{\"client_id\":\"$client\"}"
}

found=0; incomplete=0
stores="${SQLMAP_STORES:-sqlite postgres}"
echo "sqlmap $(sqlmap --version 2>/dev/null | tail -1), level $level, risk $risk, $budget s per target"
if [[ " $stores " == *" sqlite "* ]]; then
  start "sqlite:$work/portal.db"
  run_all SQLite
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
fi
if [[ " $stores " != *" postgres "* ]]; then
  :
elif [[ "${DATABASE_URL:-}" == postgres* ]]; then
  command -v psql >/dev/null || { echo "psql is needed for the PostgreSQL run" >&2; exit 1; }
  pg_db="portal_sqlmap_$$"
  psql "$DATABASE_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
  start "${DATABASE_URL%/*}/$pg_db"
  run_all PostgreSQL
else
  echo "PostgreSQL: SKIPPED (DATABASE_URL does not name a PostgreSQL server)"
fi
if [ "$found" = 1 ]; then echo "sqlmap found an injectable parameter (SQLMAP_LOGS=DIR keeps the logs)" >&2; exit 1; fi
if [ "$incomplete" = 1 ]; then echo "a run did not finish: raise the budget per target" >&2; exit 1; fi
echo "no injectable parameter found"
