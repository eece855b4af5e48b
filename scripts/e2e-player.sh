#!/usr/bin/env bash
# End-to-end check of the demo's player page in a real browser: hls.js (HLS) and dash.js
# (MPEG-DASH) in headless Chromium each play the demo stream through the gateway
# (currentTime advances), then a broken token shows its denial (status and reason). Then
# (scripts/e2e-renewal.js) the page plays past its first short token's exp on renewals, and a
# `revoke` of its viewer shows "401 revoked" and stops playback.
# Needs: Java 17, Debian's chromium, node + npm.
#   scripts/e2e-player.sh            # builds the jar if missing
#   SG_E2E_TOKEN_TTL=30s scripts/e2e-player.sh   # the page's token lifetime (default 20s)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "chromium missing: apt-get install -y chromium"; exit 2; }
command -v npm >/dev/null || { echo "npm missing"; exit 2; }
[ -f gateway/target/streamgate.jar ] || ./mvnw -q package -DskipTests

work="${TMPDIR:-/tmp}/streamgate-e2e"
mkdir -p "$work"
if [ ! -d "$work/node_modules/playwright-core" ]; then
  (cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund playwright-core@1 >/dev/null)
fi

log=$(mktemp "$work/demo.XXXXXX.log")
# port 0: the system picks free ports; the demo prints the ones it bound
java -jar gateway/target/streamgate.jar demo --port 0 --admin-port 0 \
  --token-ttl "${SG_E2E_TOKEN_TTL:-20s}" >"$log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do grep -q '^TOKEN=' "$log" && break; sleep 0.5; done
grep -q '^TOKEN=' "$log" || { echo "demo did not start:"; cat "$log"; exit 1; }
port=$(sed -n 's#^  gateway   http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$log")
admin=$(sed -n 's#^  metrics   http://127\.0\.0\.1:\([0-9][0-9]*\)/metrics$#\1#p' "$log")
[ -n "$port" ] && [ -n "$admin" ] || { echo "no bound ports in the demo's output:"; cat "$log"; exit 1; }

for format in hls dash; do
  echo "== $format"
  NODE_PATH="$work/node_modules" node scripts/e2e-player.js "http://127.0.0.1:$port/?format=$format"
done
echo "== renewal and revocation (hls)"
NODE_PATH="$work/node_modules" node scripts/e2e-renewal.js "http://127.0.0.1:$port/" "http://127.0.0.1:$admin" \
  gateway/target/streamgate.jar
echo "decisions seen by the gateway:"
curl -s "http://127.0.0.1:$admin/metrics" | grep '^streamgate_decisions_total' | grep -v ' 0.0$'
