#!/usr/bin/env bash
# Website scan benchmark (issue 9): 2,000 synthetic sites of 3-6 pages on loopback, scanned by
# `prospector scan --urls FILE --json --concurrency N --allow-private`, beside a Python
# baseline doing the same fetch-and-regex work. Prints pages/s, peak RSS and the ratio.
#
# Usage: bench/scan/run.sh PATH_TO_PROSPECTOR [SITES] [CONCURRENCY]
# Env:   BENCH_SCAN_SERVER=path to a prebuilt bench_server (else built with cargo --release)
set -euo pipefail

BIN=${1:?usage: run.sh PATH_TO_PROSPECTOR [SITES] [CONCURRENCY]}
SITES=${2:-2000}
CONC=${3:-512}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d)
trap 'kill "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

SERVER=${BENCH_SCAN_SERVER:-}
if [[ -z "$SERVER" ]]; then
  (cd "$ROOT" && cargo build --quiet --release -p prospector-scan --example bench_server)
  SERVER="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_server"
fi

"$SERVER" --sites "$SITES" --urls-out "$WORK/urls.txt" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do [[ -s "$WORK/urls.txt" ]] && break; sleep 0.1; done
[[ -s "$WORK/urls.txt" ]] || { echo "bench server did not start"; cat "$WORK/server.log"; exit 1; }

# aiohttp when it can be had; the baseline falls back to asyncio streams otherwise.
python3 -c 'import aiohttp' 2>/dev/null || python3 -m pip install --quiet aiohttp >/dev/null 2>&1 || true

measure() { # measure OUT ERR CMD... -> prints "seconds peak_rss_kb"
  local out=$1 err=$2; shift 2
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$out" 2>"$err"
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc -l) $(tail -n1 "$WORK/rss")"
}

read -r P_SEC P_RSS < <(measure "$WORK/prospector.jsonl" "$WORK/prospector.err" \
  "$BIN" scan --urls "$WORK/urls.txt" --json --concurrency "$CONC" --allow-private)
P_PAGES=$(python3 - "$WORK/prospector.jsonl" <<'PY'
import json, sys
pages = errors = sites = 0
for line in open(sys.argv[1]):
    r = json.loads(line); sites += 1
    pages += r.get("performance", {}).get("pages_fetched", 0)
    errors += 1 if r.get("error") else 0
print(pages, sites, errors)
PY
)
read -r P_PAGES P_SITES P_ERRORS <<<"$P_PAGES"

read -r B_SEC B_RSS < <(measure "$WORK/baseline.jsonl" "$WORK/baseline.err" \
  python3 "$HERE/baseline.py" "$WORK/urls.txt" "$CONC")
B_PAGES=$(grep -o 'pages [0-9]*' "$WORK/baseline.err" | awk '{print $2}')
B_CLIENT=$(grep -o 'client [a-z]*' "$WORK/baseline.err" | awk '{print $2}')

P_RATE=$(echo "$P_PAGES / $P_SEC" | bc -l)
B_RATE=$(echo "$B_PAGES / $B_SEC" | bc -l)
printf 'scan: prospector %d sites (%d failed), %d pages in %.2fs = %.0f pages/s, peak RSS %.1f MB\n' \
  "$P_SITES" "$P_ERRORS" "$P_PAGES" "$P_SEC" "$P_RATE" "$(echo "$P_RSS / 1024" | bc -l)"
printf 'scan: baseline (python %s) %d pages in %.2fs = %.0f pages/s, peak RSS %.1f MB\n' \
  "$B_CLIENT" "$B_PAGES" "$B_SEC" "$B_RATE" "$(echo "$B_RSS / 1024" | bc -l)"
printf 'scan: ratio %.2fx (target >= 3x), RSS target < 200 MB\n' "$(echo "$P_RATE / $B_RATE" | bc -l)"
