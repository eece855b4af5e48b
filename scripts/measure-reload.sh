#!/bin/bash
# Live configuration, measured on a running jar (docs/benchmarks.md, "Live configuration"):
# POST /reload latency, SIGHUP to "applied", and how soon a key file replaced by a rename or
# written in place is picked up by itself (polling GET /keys every 10 ms).
#   ./mvnw -q package -DskipTests && scripts/measure-reload.sh
set -u
JAR=${JAR:-gateway/target/streamgate.jar}
PORT=${PORT:-18080}
ADMIN=${ADMIN:-19090}
W=$(mktemp -d)
TOKEN=measure-admin-token-0123456789
trap 'kill $PID 2>/dev/null; rm -rf "$W"' EXIT
java -jar "$JAR" keygen --kid m1 --out "$W/k1" >/dev/null
for i in 1 2 3 4 5 6; do java -jar "$JAR" keygen --kid m1 --out "$W/r$i" >/dev/null; done
cp "$W/k1/public.pem" "$W/m1.pem"
cat > "$W/gateway.yaml" <<YAML
listen: { host: 127.0.0.1, port: $PORT }
admin: { host: 127.0.0.1, port: $ADMIN, token: $TOKEN }
warmup: { verifications: 0 }
keys: [{ kid: m1, file: m1.pem }]
routes: [{ name: r, path: /r/, type: http, upstream: "http://127.0.0.1:1/" }]
YAML
java -jar "$JAR" run --config "$W/gateway.yaml" > "$W/gw.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$ADMIN/healthz" && break; sleep 0.1; done
fp() { curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN/keys" | sed 's/.*"spkiSha256":"\([0-9a-f]*\)".*/\1/'; }
echo "POST /reload (unchanged config), seconds:"
for _ in $(seq 1 10); do
  curl -s -o /dev/null -w "%{time_total} " -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN/reload"
done; echo
pickup() { # $1 rename|inplace, $2 the new public key
  local before t0; before=$(fp); t0=$(date +%s%N)
  if [ "$1" = rename ]; then cp "$2" "$W/.m1.tmp" && mv -f "$W/.m1.tmp" "$W/m1.pem"; else cat "$2" > "$W/m1.pem"; fi
  while [ "$(fp)" = "$before" ]; do sleep 0.01; done
  echo -n "$(( ($(date +%s%N) - t0) / 1000000 ))ms "
}
echo "key file replaced by rename, picked up after:"
for i in 1 2 3; do pickup rename "$W/r$i/public.pem"; done; echo
echo "key file written in place, picked up after:"
for i in 4 5 6; do pickup inplace "$W/r$i/public.pem"; done; echo
t0=$(date +%s%N); kill -HUP $PID
while ! grep -q "config reload (SIGHUP): applied" "$W/gw.log"; do sleep 0.01; done
echo "SIGHUP to 'applied' in the log: $(( ($(date +%s%N) - t0) / 1000000 ))ms; still running: $(kill -0 $PID && echo yes)"
