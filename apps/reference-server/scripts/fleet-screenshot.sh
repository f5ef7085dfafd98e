#!/usr/bin/env bash
# Regenerates docs/fleet.png: three built server processes sharing Redis and one data directory (one fleet),
# demo traffic on each, then headless Chromium (Debian's `chromium`) captures the first instance's dashboard
# page, which shows the fleet when more than one instance is live.
#   pnpm --filter @wai/reference-server screenshot:fleet    (after a build; REDIS_URL or 127.0.0.1:6379)
set -euo pipefail
cd "$(dirname "$0")/.."
redis="${REDIS_URL:-redis://127.0.0.1:6379}"
namespace="fleet-shot-$$"
base="${PORT:-3990}"
data="$(mktemp -d)"
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
  # Every key of the namespace carries the hash tag {namespace}: remove what this run left in Redis.
  redis-cli -u "$redis" --scan --pattern "{$namespace}*" | xargs -r redis-cli -u "$redis" del >/dev/null || true
}
trap cleanup EXIT
for i in 0 1 2; do
  DATA_DIR="$data" PORT="$((base + i))" HOST=127.0.0.1 LOG_LEVEL=warn REDIS_URL="$redis" CACHE_NAMESPACE="$namespace" \
    PERFORMANCE_MONITORING_INTERVAL=2000 node dist/main.js &
  servers+=("$!")
  # The first instance seeds the shared database; the others start once it answers.
  for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$((base + i))/api/performance/enhanced/health" && break; sleep 0.5; done
done
loads=()
for i in 0 1 2; do
  node dist/demo-load.js --url "http://127.0.0.1:$((base + i))" --duration "${DURATION_S:-30}" >/dev/null &
  loads+=("$!")
done
wait "${loads[@]}"
sleep 3
mkdir -p docs
"${CHROMIUM:-chromium}" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1440,1800 \
  --virtual-time-budget=8000 --screenshot="$PWD/docs/fleet.png" "http://127.0.0.1:$base/api/performance/enhanced/" 2>/dev/null
echo "wrote docs/fleet.png"
