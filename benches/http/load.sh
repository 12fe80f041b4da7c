#!/usr/bin/env bash
# The HTTP path under load, for the axum and the actix-web example servers on the
# in-memory store, with wrk on loopback, each against `GET /healthz` on the same server
# in the same run: an authenticated `GET /portal/api/me` (session, contact, grants,
# clients, JSON), and `GET /whoami`, a host handler that only asks the extractor for
# the session. The server runs on CPU 0, wrk on CPU 1. Prints, per route, two cost
# ratios against /healthz (1.00 means the portal adds nothing): of the server's CPU
# time per request (user + system, all its threads, from /proc: what a request costs
# whether or not wrk keeps the server busy), and of the request rates.
#
# This machine's speed drifts by tens of percent from one second to the next, so the
# endpoints are measured in alternating short runs, `rounds` times, and the script
# prints the median (and the quartiles) of each round's ratio.
#
# Usage: benches/http/load.sh [seconds per run=2] [connections=16] [rounds=9]
# PIN=0 lets server and wrk share both CPUs (wrk's own cost then dilutes the ratios).
# Needs wrk (Debian: apt-get install wrk), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-2}"; conns="${2:-16}"; rounds="${3:-9}"
if [ "${PIN:-1}" = 0 ]; then server_cpu=(); wrk_cpu=(); else server_cpu=(taskset -c 0); wrk_cpu=(taskset -c 1); fi
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p portal-examples --bins

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

run() { # url [cookie] -> "requests/s CPU-ticks-per-million-requests"
  args=(-t1 -c"$conns" -d"${secs}s")
  [ -n "${2:-}" ] && args+=(-H "Cookie: $2")
  local before out after
  before=$(cpu_ticks)
  out=$("${wrk_cpu[@]}" wrk "${args[@]}" "$1")
  after=$(cpu_ticks)
  awk -v t=$((after - before)) '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {print r, t * 1e6 / n}' <<<"$out"
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
  # Alternate the endpoints to spread drift over all three.
  runs=()
  for _ in $(seq "$rounds"); do
    runs+=($(run "$base/healthz") $(run "$base/portal/api/me" "$cookie") $(run "$base/whoami" "$cookie"))
  done
  python3 - "$bin" "${runs[@]}" <<'PY'
import statistics, sys
name, v = sys.argv[1], list(map(float, sys.argv[2:]))
rate = {"h": v[0::6], "m": v[2::6], "w": v[4::6]}
cpu = {"h": v[1::6], "m": v[3::6], "w": v[5::6]}
def med(xs):
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else xs * 3
    return f"{statistics.median(xs):.3f} ({q[0]:.3f}-{q[2]:.3f})"
def summary(route, k):
    by_cpu = [c / h for h, c in zip(cpu["h"], cpu[k])]
    by_rate = [h / r for h, r in zip(rate["h"], rate[k])]
    return f"{route} {statistics.median(rate[k]):,.0f} req/s, cost ratio by CPU {med(by_cpu)}, by rate {med(by_rate)}"
print(f"{name}: /healthz {statistics.median(rate['h']):,.0f} req/s; {summary('/portal/api/me', 'm')}; {summary('/whoami', 'w')}")
PY
  kill $pid; wait $pid 2>/dev/null || true; rm -rf "$dir"; trap - EXIT
done
