#!/usr/bin/env bash
# Regenerates docs/dashboard.png: starts the built server on a temporary data directory, drives 40 s of demo
# traffic, and has headless Chromium (Debian's `chromium`) capture the dashboard page.
#   pnpm --filter @wai/reference-server screenshot          (after `pnpm turbo run build --filter=@wai/reference-server...`)
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-3999}"
data="$(mktemp -d)"
DATA_DIR="$data" PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn PERFORMANCE_MONITORING_INTERVAL=2000 node dist/main.js &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/performance/enhanced/health" && break; sleep 0.5; done
node dist/demo-load.js --url "http://127.0.0.1:$port" --duration "${DURATION_S:-40}"
mkdir -p docs
"${CHROMIUM:-chromium}" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1440,1800 \
  --virtual-time-budget=8000 --screenshot="$PWD/docs/dashboard.png" "http://127.0.0.1:$port/api/performance/enhanced/" 2>/dev/null
echo "wrote docs/dashboard.png"
