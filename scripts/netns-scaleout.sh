#!/usr/bin/env bash
# Replicas as separate hosts: Redis, an origin, two gateway replicas and nginx (the load
# balancer) each in a network namespace of its own, on a /24 of 198.18.0.0/15 (the benchmarking
# range, RFC 2544) behind a bridge in this namespace; nothing leaves the machine. Needs root and
# iproute2; it builds, measures and removes everything itself.
#
# Several runs at once (two checkouts testing together) do not collide: each picks a /24 that no
# address or route on this machine uses yet (under a lock, so two runs never pick the same), and
# names its namespaces, bridge and veths after its PID (sgt<pid>...). Everything is removed when
# the run ends, however it ends; what a run killed outright left behind is removed by the next.
#
#   ./mvnw -q package -DskipTests && sudo scripts/netns-scaleout.sh
#
# (The test suite runs it too, as NetnsScaleOutTest, with SG_RUN set to run the gateway from
# the test classpath instead of the jar, which is built later in the lifecycle.)
#
# Prints one "RESULT name=value" line per measurement and exits non-zero when a check fails:
#   partition: replica A cut off from Redis (a blackhole route) answers 503 replay_store_unavailable
#              (onStoreError: deny) and /readyz 503 while B keeps serving; after the cut heals, A
#              serves again without a restart (time measured)
#   replica-kill: ffmpeg plays through the load balancer on a one-time token; replica A is killed
#              mid-playback; the player continues through B on its session credential; a
#              WebSocket viewer of A loses its session and reconnects through the load balancer
#              (mode once: its spent token is refused, a fresh one is admitted at B)
set -euo pipefail
cd "$(dirname "$0")/.."
J=gateway/target/streamgate.jar
RUN=${SG_RUN:-java -jar $J}
[ -n "${SG_RUN:-}" ] || [ -f "$J" ] || { echo "build first: ./mvnw -q package -DskipTests"; exit 2; }
for b in ip redis-server nginx ffmpeg ffprobe curl; do command -v $b >/dev/null || { echo "SKIP: $b missing"; exit 3; }; done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 3; }

P=sgt$$                       # a prefix of our own: several runs never collide
W=$(mktemp -d /tmp/sg-netns.XXXX)
declare -A ADDR=([redis]=10 [origin]=11 [gwa]=12 [gwb]=13 [lb]=14)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for n in "${!ADDR[@]}"; do ip netns pids "$P$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns del "$P$n" 2>/dev/null || true; done
  for n in "${!ADDR[@]}"; do ip link del "${P}h${ADDR[$n]}" 2>/dev/null || true; done
  ip link del "${P}br" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM        # a stopped run still removes its hosts (the EXIT trap runs)
# hosts left by an earlier run that was killed outright (its PID is gone) would hold the addresses
for stale in $(ip netns list | awk '{print $1}' | grep -E '^sgt[0-9]+' | sed -E 's/^sgt([0-9]+).*/\1/' | sort -u); do
  if ! kill -0 "$stale" 2>/dev/null; then
    for n in $(ip netns list | awk '{print $1}' | grep -E "^sgt${stale}[a-z]"); do ip netns pids "$n" | xargs -r kill -9; ip netns del "$n"; done
    ip link del "sgt${stale}br" 2>/dev/null || true
  fi
done

# A /24 of 198.18.0.0/15 that nothing here uses (no address, no route), taken under a lock: a
# run started at the same moment waits until this one's bridge holds its address, then sees it.
exec 9>"${TMPDIR:-/tmp}/streamgate-netns.lock"
flock -w 120 9 || { echo "FAIL: another run held the subnet lock for 2 minutes"; exit 1; }
NET=
for _ in $(seq 1 500); do
  c="198.$((18 + RANDOM % 2)).$((RANDOM % 256))"
  if ! { ip -o -4 addr show; ip -4 route show table all; } | grep -qF "$c."; then NET=$c; break; fi
done
[ -n "$NET" ] || { echo "FAIL: no free /24 left in 198.18.0.0/15"; exit 1; }
ip link add "${P}br" type bridge && ip addr add $NET.1/24 dev "${P}br" && ip link set "${P}br" up
flock -u 9
echo "subnet $NET.0/24, namespaces ${P}*"
for n in "${!ADDR[@]}"; do
  ip netns add "$P$n"
  # host-side veth named by address (sgt<pid>h<octet>): within the 15 characters an interface name may have
  ip link add "${P}h${ADDR[$n]}" type veth peer name eth0 netns "$P$n"
  ip link set "${P}h${ADDR[$n]}" master "${P}br" up
  ip -n "$P$n" addr add $NET.${ADDR[$n]}/24 dev eth0
  ip -n "$P$n" link set eth0 up
  ip -n "$P$n" link set lo up
  ip -n "$P$n" route add default via $NET.1
done
inns() { local n=$1; shift; ip netns exec "$P$n" "$@"; }
wait_http() { for _ in $(seq 1 150); do curl -s -o /dev/null -m 1 "$1" && return 0; sleep 0.2; done; echo "not up: $1"; return 1; }

$RUN keygen --alg ES256 --kid lt --out "$W/keys" >/dev/null
inns redis redis-server --bind $NET.10 --port 6379 --save '' --appendonly no --protected-mode no >"$W/redis.log" 2>&1 & PIDS+=($!); disown
inns origin $RUN origin --port 8180 --host 0.0.0.0 >"$W/origin.log" 2>&1 & PIDS+=($!); disown
cat > "$W/gateway.yaml" <<YAML
listen: { host: 0.0.0.0, port: 8080 }
admin: { host: 0.0.0.0, port: 9090, token: "netns-admin-token-0123456789" }
keys: [{ kid: lt, file: $W/keys/public.pem }]
replay: { mode: once, store: redis, redis: "redis://$NET.10:6379", onStoreError: deny, timeout: 200ms }
hls: { sessionSecret: "shared-by-both-replicas-0123456789" }
warmup: { verifications: 2000 }
routes:
  - { name: hls, path: /live/, type: hls, upstream: "http://$NET.11:8180/live/",
      require: [{ claim: "roles[].eventId", contains: "{path.0}" }] }
  - { name: ws, path: /ws, type: websocket, upstream: "ws://$NET.11:8180/h5live/stream" }
YAML
for r in gwa gwb; do
  inns $r $RUN run --config "$W/gateway.yaml" >"$W/$r.log" 2>&1 & PIDS+=($!); disown
done
cat > "$W/lb.conf" <<NGINX
worker_processes 1; pid $W/lb.pid; error_log $W/lb.err warn; daemon off;
events { worker_connections 1024; }
http { access_log off;
  upstream gw { server $NET.12:8080 max_fails=1 fail_timeout=10s; server $NET.13:8080 max_fails=1 fail_timeout=10s; }
  server { listen $NET.14:80;
    location /ws { proxy_pass http://gw; proxy_http_version 1.1; proxy_set_header Upgrade \$http_upgrade;
                 proxy_set_header Connection upgrade; proxy_next_upstream error timeout; proxy_connect_timeout 1s; }
    location / { proxy_pass http://gw; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_set_header Host \$host; proxy_next_upstream error timeout; proxy_connect_timeout 1s; } } }
NGINX
inns lb nginx -p "$W" -c "$W/lb.conf" >/dev/null 2>&1 & PIDS+=($!); disown
for u in http://$NET.12:9090/readyz http://$NET.13:9090/readyz http://$NET.14/; do wait_http "$u"; done
for r in 12 13; do for _ in $(seq 1 150); do [ "$(curl -s -o /dev/null -w '%{http_code}' http://$NET.$r:9090/readyz)" = 200 ] && break; sleep 0.2; done; done
mint() { $RUN mint --key "$W/keys/private.pem" --kid lt --ttl 1h --claim 'roles=[{"eventId":"demo"}]'; }
code() { curl -s -o "$W/body" -w '%{http_code}' -m 5 "$1"; }
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got $2, want $3"; fail=1; fi; }

# --- partition: A cannot reach Redis
check "A serves before the cut" "$(code "http://$NET.12:8080/live/demo/master.m3u8?token=$(mint)")" 200
inns gwa ip route add blackhole $NET.10/32
t0=$(date +%s%N)
check "A refuses while cut off (deny)" "$(code "http://$NET.12:8080/live/demo/master.m3u8?token=$(mint)")" 503
grep -q replay_store_unavailable "$W/body" && echo "ok   reason replay_store_unavailable" || { echo "FAIL reason: $(cat "$W/body")"; fail=1; }
for _ in $(seq 1 50); do [ "$(code http://$NET.12:9090/readyz)" = 503 ] && break; sleep 0.1; done
check "A's /readyz while cut off" "$(code http://$NET.12:9090/readyz)" 503
check "B keeps serving" "$(code "http://$NET.13:8080/live/demo/master.m3u8?token=$(mint)")" 200
inns gwa ip route del blackhole $NET.10/32
# one token for every try: a refused (503) try consumes nothing, and minting costs a JVM start
HT=$(mint)
t1=$(date +%s%N); healed=-1
for i in $(seq 1 300); do
  if [ "$(code "http://$NET.12:8080/live/demo/master.m3u8?token=$HT")" = 200 ]; then healed=$(( ($(date +%s%N) - t1) / 1000000 )); break; fi
  sleep 0.1
done
echo "RESULT partition_recovery_ms=$healed"
[ "$healed" -ge 0 ] && echo "ok   A serves again without a restart" || { echo "FAIL A did not recover"; fail=1; }

# --- a replica killed mid-playback: the player continues through the other on its credential,
# and a WebSocket viewer of the killed replica reconnects through the load balancer
cat > "$W/ws.py" <<'PY'
import socket, sys, time
def upgrade(host, port, token):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(1)
        if not d: break
        head += d
    return s, head.split(b" ")[1].decode() if head else "eof"
mode = sys.argv[1]
if mode == "hold":                       # open at a replica, report, then wait for the connection to end
    s, code = upgrade(sys.argv[2], int(sys.argv[3]), sys.argv[4]); print(code, flush=True)
    s.settimeout(60)
    try:
        while s.recv(65536): pass
    except Exception: pass
    print("ended", flush=True)
else:                                    # one upgrade, its status
    s, code = upgrade(sys.argv[2], int(sys.argv[3]), sys.argv[4]); print(code); s.close()
PY
WT=$(mint)
python3 "$W/ws.py" hold $NET.12 8080 "$WT" > "$W/ws-hold.out" &
WSP=$!
for _ in $(seq 1 50); do grep -q . "$W/ws-hold.out" 2>/dev/null && break; sleep 0.1; done
check "a WebSocket viewer at A" "$(head -1 "$W/ws-hold.out")" 101
T=$(mint)
timeout 60 ffmpeg -nostdin -loglevel error -i "http://$NET.14/live/demo/master.m3u8?token=$T" -t 16 -c copy -f mpegts "$W/play.ts" &
FF=$!
# mid-playback: once ffmpeg is writing what it plays (bounded poll, 30 s)
for _ in $(seq 1 300); do [ -s "$W/play.ts" ] && break; sleep 0.1; done
check "ffmpeg is playing" "$([ -s "$W/play.ts" ] && echo yes || echo no)" yes
ip netns pids "${P}gwa" | xargs -r kill -9   # replica A dies at once, as a crashed host would
for _ in $(seq 1 50); do [ -z "$(ip netns pids "${P}gwa")" ] && break; sleep 0.1; done
check "replica A is gone" "$(code http://$NET.12:9090/healthz)" 000
if wait $FF; then echo "ok   ffmpeg finished through the other replica"; else echo "FAIL ffmpeg exited non-zero"; fail=1; fi
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$W/play.ts" 2>/dev/null || echo 0)
echo "RESULT played_seconds=$dur"
awk -v d="$dur" 'BEGIN { exit !(d >= 12) }' && echo "ok   played ${dur}s across the kill" || { echo "FAIL played only ${dur}s"; fail=1; }
check "the one-time token is still replayed at B" "$(code "http://$NET.13:8080/live/demo/master.m3u8?token=$T")" 401
wait $WSP || true
check "A's WebSocket viewer lost its session with A" "$(tail -1 "$W/ws-hold.out")" ended
check "it reconnects through the load balancer: its one-time token is spent (mode once)" \
  "$(python3 "$W/ws.py" once $NET.14 80 "$WT")" 401
check "with a fresh token it is admitted at B" "$(python3 "$W/ws.py" once $NET.14 80 "$(mint)")" 101
exit $fail
