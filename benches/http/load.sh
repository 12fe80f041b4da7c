#!/usr/bin/env bash
# The HTTP path under load, for the axum and the actix-web example servers on the
# in-memory store, with wrk on loopback, each against `GET /healthz` on the same server
# in the same run: an authenticated `GET /portal/api/me` (session, contact, grants,
# clients, JSON), and `GET /whoami`, a host handler that only asks the extractor for
# the session. Prints requests/second and cost ratios (healthz rate / route rate: 1.00
# means the portal adds nothing). The server runs on CPU 0, wrk on CPU 1.
#
# Usage: benches/http/load.sh [seconds=10] [connections=16]
# PIN=0 lets server and wrk share both CPUs (wrk's own cost then dilutes the ratios).
# Needs wrk (Debian: apt-get install wrk), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"; conns="${2:-16}"
if [ "${PIN:-1}" = 0 ]; then server_cpu=(); wrk_cpu=(); else server_cpu=(taskset -c 0); wrk_cpu=(taskset -c 1); fi
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p portal-examples --bins

rate() { # url [cookie]
  args=(-t1 -c"$conns" -d"${secs}s" --latency)
  [ -n "${2:-}" ] && args+=(-H "Cookie: $2")
  "${wrk_cpu[@]}" wrk "${args[@]}" "$1" | awk '/Requests\/sec/ {print $2}'
}

for bin in axum-portal actix-portal; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  dir=$(mktemp -d)
  (cd "$dir" && PORTAL_ADDR="127.0.0.1:$port" DATABASE_URL=memory: RUST_LOG=off \
     exec "${server_cpu[@]}" "$OLDPWD/target/release/$bin" >/dev/null 2>&1) &
  pid=$!
  trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.05; done
  curl -sf -X POST -d 'email=jane@example.com' "$base/portal/login/link" >/dev/null
  sleep 0.3
  link=$(curl -sf "$base/dev/outbox" | python3 -c 'import json,sys; print([m for m in json.load(sys.stdin) if m["kind"]=="login"][-1]["links"][0])')
  cookie=$(curl -si -X POST -d "token=${link##*/}" "$base/portal/auth/link" | sed -n 's/^set-cookie: \(portal_session=[^;]*\);.*/\1/ip')
  curl -sf -H "Cookie: $cookie" "$base/portal/api/me" >/dev/null || { echo "login failed" >&2; exit 1; }
  # Alternate the two endpoints to spread drift over both.
  h1=$(rate "$base/healthz"); m1=$(rate "$base/portal/api/me" "$cookie"); w1=$(rate "$base/whoami" "$cookie")
  h2=$(rate "$base/healthz"); m2=$(rate "$base/portal/api/me" "$cookie"); w2=$(rate "$base/whoami" "$cookie")
  python3 - "$bin" "$h1" "$h2" "$m1" "$m2" "$w1" "$w2" <<'PY'
import sys
name, h1, h2, m1, m2, w1, w2 = sys.argv[1], *map(float, sys.argv[2:])
h, m, w = (h1 + h2) / 2, (m1 + m2) / 2, (w1 + w2) / 2
print(f"{name}: /healthz {h:,.0f} req/s; /portal/api/me {m:,.0f} req/s, ratio {h / m:.3f}; /whoami {w:,.0f} req/s, ratio {h / w:.3f}")
PY
  kill $pid; wait $pid 2>/dev/null || true; rm -rf "$dir"; trap - EXIT
done
