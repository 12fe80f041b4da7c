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
# Beside each server runs its bare twin (benches/examples/twin_*.rs, same framework,
# same CPU): it answers both routes with the very bytes the portal answered them with,
# from constants. Its ratios are the floor, what sending those headers and that body
# costs over `ok` with no work at all; the portal's own work is what it costs above it.
#
# The twin also serves peers, each measured against the twin's own /healthz: the
# issue's reference, a minimal session check (a cookie looked up in a map in memory),
# and, on axum, a session read through tower-sessions with its memory store, and the
# portal's /api/me document as a host would serve it on tower-sessions (the session
# holds the contact, active client and CSRF token; the contact and its clients come
# from a map in memory; serde_json writes the document; the portal's headers).
#
# This machine's speed drifts by tens of percent from one second to the next, so the
# endpoints are measured in alternating short runs, `rounds` times, and the script
# prints the median (and the quartiles) of each round's ratio.
#
# BASELINE=DIR runs DIR/axum-portal and DIR/actix-portal (another build of the example
# servers, e.g. before a change) beside the servers of this tree, on the same CPU, and
# measures them in the same rounds: the script then prints their ratios too, and the
# round-by-round quotient of the two servers' /portal/api/me ratios. Comparing two
# builds this way leaves out the drift between two runs.
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
cargo build --release -q -p portal-benches --examples

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # pid url [cookie] -> "requests/s CPU-ticks-per-million-requests"
  args=(-t1 -c"$conns" -d"${secs}s")
  [ -n "${3:-}" ] && args+=(-H "Cookie: $3")
  local before out after
  before=$(cpu_ticks "$1")
  out=$("${wrk_cpu[@]}" wrk "${args[@]}" "$2")
  after=$(cpu_ticks "$1")
  # A run with errors, or without figures, gives `nan nan` (two figures, so that the
  # others keep their places), and the summary then refuses to print.
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from $2" >&2; echo nan nan; return; fi
  awk -v t=$((after - before)) '/requests in/ {n = $1} /Requests\/sec/ {r = $2}
    END {if (n > 0 && r != "") print r, t * 1e6 / n; else print "nan nan"}' <<<"$out"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 100); do curl -sf "$1/healthz" >/dev/null && return; sleep 0.05; done
  echo "no server answers at $1" >&2; exit 1
}
# Logs in as the demo's jane on the portal at $1 and prints the session cookie.
login() {
  curl -sf -X POST -d 'email=jane@example.com' "$1/portal/login/link" >/dev/null
  local link=""
  for _ in $(seq 50); do # the mail goes out in the background
    link=$(curl -sf "$1/dev/outbox" | python3 -c 'import json,sys; l=[m for m in json.load(sys.stdin) if m["kind"]=="login"]; print(l[-1]["links"][0] if l else "")')
    [ -n "$link" ] && break; sleep 0.1
  done
  curl -si -X POST -d "token=${link##*/}" "$1/portal/auth/link" | sed -n 's/^set-cookie: \(portal_session=[^;]*\);.*/\1/ip'
}
# A response without its `date` line, for comparing two servers' answers; sorted,
# since actix-web writes headers in no fixed order.
answer() { curl -si -H "Cookie: $cookie" "$1" | grep -iv '^date:' | sort; }

for framework in axum actix; do
  port=$(free_port); twin_port=$(free_port)
  base="http://127.0.0.1:$port"; twin="http://127.0.0.1:$twin_port"
  dir=$(mktemp -d)
  (cd "$dir" && PORTAL_ADDR="127.0.0.1:$port" DATABASE_URL=memory: RUST_LOG=off \
     exec "${server_cpu[@]}" "$OLDPWD/target/release/$framework-portal" >/dev/null 2>&1) &
  pid=$!
  trap 'kill $pid ${twin_pid:-} ${base_pid:-} 2>/dev/null; rm -rf "$dir"' EXIT
  wait_up "$base"
  cookie=$(login "$base")
  curl -sf -H "Cookie: $cookie" "$base/portal/api/me" >/dev/null || { echo "login failed" >&2; exit 1; }
  if [ -n "${BASELINE:-}" ]; then
    base_port=$(free_port); baseline="http://127.0.0.1:$base_port"
    mkdir "$dir/baseline"
    (cd "$dir/baseline" && PORTAL_ADDR="127.0.0.1:$base_port" DATABASE_URL=memory: RUST_LOG=off \
       exec "${server_cpu[@]}" "$BASELINE/$framework-portal" >/dev/null 2>&1) &
    base_pid=$!
    wait_up "$baseline"
    base_cookie=$(login "$baseline")
    curl -sf -H "Cookie: $base_cookie" "$baseline/portal/api/me" >/dev/null || { echo "login failed (baseline)" >&2; exit 1; }
  fi
  curl -si -H "Cookie: $cookie" "$base/portal/api/me" >"$dir/me.http"
  curl -si -H "Cookie: $cookie" "$base/whoami" >"$dir/whoami.http"
  peer_session=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
  TWIN_DIR="$dir" PORTAL_ADDR="127.0.0.1:$twin_port" PEER_SESSION="$peer_session" \
    "${server_cpu[@]}" "target/release/examples/twin_$framework" >/dev/null 2>&1 &
  twin_pid=$!
  wait_up "$twin"
  peers=("/peer/minimal" "sid=$peer_session")
  if [ "$framework" = axum ]; then
    ts_cookie=$(curl -si -X POST "$twin/peer/tower-sessions/login" | sed -n 's/^set-cookie: \(id=[^;]*\);.*/\1/ip')
    peers+=("/peer/tower-sessions" "$ts_cookie" "/peer/tower-sessions/me" "$ts_cookie")
    # The like-for-like peer answers the portal's document, headers and all, with a
    # CSRF token of its own.
    masked() { answer "$1" | sed 's/"csrf_token":"[^"]*"/"csrf_token":""/'; }
    cmp -s <(masked "$base/portal/api/me") <(cookie=$ts_cookie masked "$twin/peer/tower-sessions/me") \
      || { echo "the peer's /api/me differs from the portal's" >&2; exit 1; }
  fi
  for ((i = 0; i < ${#peers[@]}; i += 2)); do
    curl -sf -H "Cookie: ${peers[i+1]}" "$twin${peers[i]}" >/dev/null \
      || { echo "the peer ${peers[i]} answers no session" >&2; exit 1; }
  done
  for route in portal/api/me whoami; do
    cmp -s <(answer "$base/$route") <(answer "$twin/$route") \
      || { echo "the twin's /$route differs from the portal's" >&2; exit 1; }
  done
  # Alternate the endpoints to spread drift over all of them.
  runs=()
  for _ in $(seq "$rounds"); do
    runs+=($(run $pid "$base/healthz") $(run $pid "$base/portal/api/me" "$cookie") $(run $pid "$base/whoami" "$cookie"))
    if [ -n "${BASELINE:-}" ]; then
      runs+=($(run $base_pid "$baseline/healthz") $(run $base_pid "$baseline/portal/api/me" "$base_cookie") $(run $base_pid "$baseline/whoami" "$base_cookie"))
    fi
    # The twin gets the same requests, cookie included, so that parsing them is in
    # the floor too.
    runs+=($(run $twin_pid "$twin/healthz") $(run $twin_pid "$twin/portal/api/me" "$cookie") $(run $twin_pid "$twin/whoami" "$cookie"))
    for ((i = 0; i < ${#peers[@]}; i += 2)); do
      runs+=($(run $twin_pid "$twin${peers[i]}" "${peers[i+1]}"))
    done
  done
  peer_names=$(for ((i = 0; i < ${#peers[@]}; i += 2)); do printf '%s ' "${peers[i]}"; done)
  python3 - "$framework" "$peer_names" "${BASELINE:+baseline}" "${runs[@]}" <<'PY'
import math, statistics, sys
name, peers, baseline, v = sys.argv[1], sys.argv[2].split(), sys.argv[3], list(map(float, sys.argv[4:]))
keys = ["h", "m", "w"] + (["bh", "bm", "bw"] if baseline else []) + ["th", "tm", "tw"] + peers
stride = 2 * len(keys)
if not v or len(v) % stride or any(map(math.isnan, v)):
    sys.exit(f"{name}: a wrk run gave no figures")
rate = {k: v[2 * i::stride] for i, k in enumerate(keys)}
cpu = {k: v[2 * i + 1::stride] for i, k in enumerate(keys)}
def med(xs):
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else xs * 3
    return f"{statistics.median(xs):.3f} ({q[0]:.3f}-{q[2]:.3f})"
def summary(route, k):
    by_cpu = [c / h for h, c in zip(cpu["h"], cpu[k])]
    by_rate = [h / r for h, r in zip(rate["h"], rate[k])]
    floor = [c / h for h, c in zip(cpu["th"], cpu["t" + k])]
    own = [p - f for p, f in zip(by_cpu, floor)]
    return (f"  {route}: {statistics.median(rate[k]):,.0f} req/s, cost ratio by CPU {med(by_cpu)}, "
            f"by rate {med(by_rate)}; bare twin (same bytes, no work) {med(floor)}; "
            f"portal's own work {med(own)}")
print(f"{name}: /healthz {statistics.median(rate['h']):,.0f} req/s (twin {statistics.median(rate['th']):,.0f})")
print(summary("/portal/api/me", "m"))
print(summary("/whoami", "w"))
for peer in peers:
    by_cpu = [c / h for h, c in zip(cpu["th"], cpu[peer])]
    by_rate = [h / r for h, r in zip(rate["th"], rate[peer])]
    print(f"  peer {peer}: {statistics.median(rate[peer]):,.0f} req/s, cost ratio against the twin's "
          f"/healthz by CPU {med(by_cpu)}, by rate {med(by_rate)}")
if baseline:
    def by_cpu(k, h):
        return [c / b for b, c in zip(cpu[h], cpu[k])]
    print(f"  baseline: /healthz {statistics.median(rate['bh']):,.0f} req/s; /portal/api/me cost ratio "
          f"by CPU {med(by_cpu('bm', 'bh'))}; /whoami {med(by_cpu('bw', 'bh'))}")
    quotient = [a / b for a, b in zip(by_cpu("m", "h"), by_cpu("bm", "bh"))]
    print(f"  /portal/api/me's cost ratio, this tree's over the baseline's, round by round: {med(quotient)}")
    for peer in peers:
        for label, m, h in (("this tree", "m", "h"), ("baseline", "bm", "bh")):
            over = [a / b for a, b in zip(by_cpu(m, h), by_cpu(peer, "th"))]
            print(f"  /portal/api/me over peer {peer}, {label}: {med(over)}")
PY
  kill $pid $twin_pid ${base_pid:-}; wait $pid $twin_pid ${base_pid:-} 2>/dev/null || true; rm -rf "$dir"; trap - EXIT
  unset twin_pid base_pid peers
done
