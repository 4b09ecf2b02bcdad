#!/usr/bin/env bash
# Records the sample captures of samples/README.md: real gRPC stacks (grpc-js, Python grpcio) talking on
# loopback, captured with dumpcap. Run from anywhere (it changes to the repository root); idempotent: every
# capture is rewritten from scratch. Takes about a minute.
#
#   samples/make-samples.sh                 # all samples
#   samples/make-samples.sh grpcjs-basic    # only the named ones
#
# Needs: dumpcap, editcap, mergecap and tshark (Wireshark 4.x), node with the dev dependencies installed,
# /usr/bin/python3 with grpcio and grpc_tools (Debian python3-grpcio, python3-grpc-tools), curl; openssl for
# the TLS samples; for `joined-longlived`: Go with Debian's golang-google-grpc-dev, protoc and protoc-gen-go
# (golang-goprotobuf-dev); for `other-protocols`: postgresql and redis-server (apt-get install postgresql
# redis-server). Capturing on lo needs root or dumpcap's capabilities. Each finished sample is appended to
# samples/READY (others poll it).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/samples
SRC=$OUT/src
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in samples/src
WORK=$(mktemp -d /tmp/grpctk-samples.XXXXXX)
PIDS=()

die() { echo "make-samples: $*" >&2; exit 1; }
for tool in dumpcap editcap mergecap tshark node curl gzip openssl "$PY"; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for FILE TEXT: polls until FILE contains TEXT (a server's "listening", dumpcap's "Capturing on").
wait_for() {
  local file=$1 text=$2 i
  for i in $(seq 1 100); do
    grep -q "$text" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$file" >&2 || true
  die "timed out waiting for '$text' in $file"
}

# start_capture NAME IFACE FILTER [dumpcap options...]: starts dumpcap writing $WORK/NAME.pcapng.
start_capture() {
  local name=$1 iface=$2 filter=$3
  shift 3
  dumpcap -q -i "$iface" -f "$filter" "$@" -w "$WORK/$name.pcapng" 2>"$WORK/$name.dumpcap.log" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_for "$WORK/$name.dumpcap.log" "Capturing on"
  sleep 0.5 # the BPF filter is attached when "Capturing on" is printed; leave a margin anyway
}

# stop_capture NAME: lets dumpcap see the last packets, stops it with SIGINT, moves the file into samples/.
stop_capture() {
  local name=$1
  sleep 1
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || die "dumpcap failed for $name: $(cat "$WORK/$name.dumpcap.log")"
  chmod 644 "$WORK/$name.pcapng"
  mv "$WORK/$name.pcapng" "$OUT/$name.pcapng"
}

# start_server LOGNAME COMMAND...: starts a server and waits for its "listening" line.
start_server() {
  local log=$WORK/$1.log
  shift
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for "$log" "listening"
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

ready() {
  local f
  for f in "$@"; do
    grep -qx "$f" "$OUT/READY" 2>/dev/null || echo "$f" >>"$OUT/READY"
    echo "make-samples: wrote samples/$f ($(stat -c %s "$OUT/$f") bytes)"
  done
}

# recorded FILE...: a capture made for the tests that name it (test/cli/joined.test.ts,
# test/http2/detect.test.ts), not listed in samples/READY: the suites that take every READY sample expect
# Wireshark to dissect it whole, which a cut or merged capture does not allow.
recorded() {
  local f
  for f in "$@"; do echo "make-samples: wrote samples/$f ($(stat -c %s "$OUT/$f") bytes)"; done
}

node_server() { start_server "$1" node "$SRC/node-server.js" --host "$2" --port "$3"; }
py_server() { start_server "$1" "$PY" "$SRC/py_server.py" --host "$2" --port "$3"; }
node_client() { node "$SRC/node-client.js" --target "$1" --scenario "$2"; }
py_client() { "$PY" "$SRC/py_client.py" --target "$1" --scenario "$2"; }

# 1. grpc-js both sides, IPv4, port 50051; plus the pcap / nanosecond pcap / gzip copies (sample 6).
sample_grpcjs_basic() {
  start_capture grpcjs-basic lo 'tcp port 50051' --capture-comment 'grpctk sample: grpc-js server and client, see samples/README.md'
  node_server grpcjs-basic-server 127.0.0.1 50051
  node_client 127.0.0.1:50051 basic
  stop_server
  stop_capture grpcjs-basic
  editcap -F pcap "$OUT/grpcjs-basic.pcapng" "$OUT/grpcjs-basic.pcap"
  editcap -F nsecpcap "$OUT/grpcjs-basic.pcapng" "$OUT/grpcjs-basic-ns.pcap"
  gzip -9 -n -c "$OUT/grpcjs-basic.pcapng" >"$OUT/grpcjs-basic.pcapng.gz"
  ready grpcjs-basic.pcapng grpcjs-basic.pcap grpcjs-basic-ns.pcap grpcjs-basic.pcapng.gz
}

# 2. Python grpcio both sides, IPv6 [::1], port 50052.
sample_grpcio_basic() {
  start_capture grpcio-basic lo 'tcp port 50052' --capture-comment 'grpctk sample: Python grpcio server and client over IPv6, see samples/README.md'
  py_server grpcio-basic-server ::1 50052
  py_client '[::1]:50052' basic
  stop_server
  stop_capture grpcio-basic
  ready grpcio-basic.pcapng
}

# 3. Cross-stack: grpc-js client -> Python server over IPv6 (50053), Python client -> grpc-js server over
#    IPv4 (50054).
sample_mixed() {
  start_capture mixed lo 'tcp port 50053 or tcp port 50054' --capture-comment 'grpctk sample: grpc-js <-> grpcio, IPv6 and IPv4, see samples/README.md'
  py_server mixed-py ::1 50053
  node_client '[::1]:50053' cross
  stop_server
  node_server mixed-node 127.0.0.1 50054
  py_client 127.0.0.1:50054 cross
  stop_server
  stop_capture mixed
  ready mixed.pcapng
}

# 4. HTTP/2 that is not gRPC (h2c, 50060), HTTP/1.1 (50061), and one gRPC call (50062) in one capture.
sample_non_grpc() {
  start_capture non-grpc lo 'tcp port 50060 or tcp port 50061 or tcp port 50062' --capture-comment 'grpctk sample: h2c and HTTP/1.1 that are not gRPC, plus one gRPC call, see samples/README.md'
  start_server non-grpc-plain node "$SRC/plain-servers.js" --h2-port 50060 --http1-port 50061
  local plain_pid=$SERVER_PID
  curl -sS --http2-prior-knowledge -o /dev/null http://127.0.0.1:50060/index.html
  curl -sS --http2-prior-knowledge -o /dev/null -H 'content-type: application/json' --data '{"hello":"h2c"}' http://127.0.0.1:50060/echo
  curl -sS --http1.1 -o /dev/null http://127.0.0.1:50061/index.html
  node_server non-grpc-grpc 127.0.0.1 50062
  node_client 127.0.0.1:50062 hello
  stop_server
  SERVER_PID=$plain_pid
  stop_server
  stop_capture non-grpc
  ready non-grpc.pcapng
}

# 5. One grpc-js call captured on the "any" pseudo-interface: Linux cooked headers, SLL (v1) and SLL2.
sample_any_sll() {
  local name linktype
  for name in any-sll any-sll2; do
    linktype=LINUX_SLL
    [ "$name" = any-sll2 ] && linktype=LINUX_SLL2
    start_capture "$name" any 'tcp port 50070' -y "$linktype" --capture-comment "grpctk sample: one grpc-js call captured on 'any' ($linktype)"
    node_server "$name-server" 127.0.0.1 50070
    node_client 127.0.0.1:50070 hello
    stop_server
    stop_capture "$name"
    ready "$name.pcapng"
  done
}

# 7. Strings that are dangerous to print: formulas, ANSI escapes, newlines, tabs, non-ASCII.
sample_hostile() {
  start_capture hostile lo 'tcp port 50080' --capture-comment 'grpctk sample: hostile strings in messages, metadata and grpc-message, see samples/README.md'
  node_server hostile-server 127.0.0.1 50080
  node_client 127.0.0.1:50080 hostile
  stop_server
  stop_capture hostile
  ready hostile.pcapng
}

# 8. Large messages: 1 MiB each way (many DATA frames, WINDOW_UPDATEs, 64 KB loopback segments).
sample_large_messages() {
  start_capture large-messages lo 'tcp port 50090' --capture-comment 'grpctk sample: 1 MiB messages each way, see samples/README.md'
  node_server large-server 127.0.0.1 50090
  node_client 127.0.0.1:50090 large
  stop_server
  stop_capture large-messages
  ready large-messages.pcapng
}

# 9. What the summary must explain: a TLS connection without keys (tls-nokeys), and a capture that joined a
#    connection midway beside one captured whole (joined).
sample_tls_nokeys() {
  mkdir -p "$WORK/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
  start_capture tls-nokeys lo 'tcp port 50443' --capture-comment 'grpctk sample: grpc-js over TLS, no key log, see samples/README.md'
  node "$SRC/summary-client.js" --scenario tls --port 50443 --dir "$WORK/tls"
  stop_capture tls-nokeys
  ready tls-nokeys.pcapng
}

sample_joined() {
  node_server joined-server 127.0.0.1 50100
  rm -f "$WORK/go"
  node "$SRC/summary-client.js" --scenario joined --target 127.0.0.1:50100 --dir "$WORK" >"$WORK/joined-client.log" 2>&1 &
  local client=$!
  PIDS+=("$client")
  wait_for "$WORK/joined-client.log" ready
  start_capture joined lo 'tcp port 50100' --capture-comment 'grpctk sample: a capture that joined a connection midway, see samples/README.md'
  touch "$WORK/go"
  wait "$client" || die "joined client failed: $(cat "$WORK/joined-client.log")"
  stop_server
  stop_capture joined
  ready joined.pcapng
}

# 10. gRPC over TLS, with the key logs Node writes (--tls-keylog, the NSS key log format) beside each capture
#    as samples/NAME.keys. The server certificate is a fresh self-signed ECDSA P-256 one for the name
#    grpctk.test (the client's SNI). Which version and suites are offered is chosen with Node's flags.
make_cert() {
  [ -f "$WORK/cert.pem" ] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -days 3650 -subj /CN=grpctk.test -addext subjectAltName=DNS:grpctk.test 2>/dev/null
}
tls_server() { make_cert; start_server "$1" node "$SRC/node-server.js" --host 127.0.0.1 --port "$2" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" "${@:3}"; }
# tls_client NAME TARGET SCENARIO [node flags...]: grpc-js client over TLS, secrets appended to NAME's key log.
tls_client() {
  local name=$1 target=$2 scenario=$3
  shift 3
  node --tls-keylog="$WORK/$name.keys" "$@" "$SRC/node-client.js" --target "$target" --scenario "$scenario" \
    --tls-ca "$WORK/cert.pem" --tls-name grpctk.test 2> >(grep -v -e 'tls-keylog makes TLS' -e 'trace-warnings' >&2)
}
tls_done() {
  local name=$1
  chmod 644 "$WORK/$name.keys"
  mv "$WORK/$name.keys" "$OUT/$name.keys"
  ready "$name.pcapng"
}

# 10a. TLS 1.3, the suite OpenSSL prefers (TLS_AES_256_GCM_SHA384: HKDF with SHA-384), the basic scenario.
sample_tls13_grpcjs() {
  start_capture tls13-grpcjs lo 'tcp port 50100' --capture-comment 'grpctk sample: grpc-js over TLS 1.3 (key log in tls13-grpcjs.keys), see samples/README.md'
  tls_server tls13-grpcjs-server 50100
  tls_client tls13-grpcjs 127.0.0.1:50100 basic
  stop_server
  stop_capture tls13-grpcjs
  tls_done tls13-grpcjs
}

# 10b. TLS 1.3 with TLS_AES_128_GCM_SHA256, then TLS_CHACHA20_POLY1305_SHA256: one SayHello each.
sample_tls13_suites() {
  start_capture tls13-suites lo 'tcp port 50101' --capture-comment 'grpctk sample: grpc-js over TLS 1.3, AES-128-GCM then ChaCha20-Poly1305, see samples/README.md'
  tls_server tls13-suites-server 50101
  tls_client tls13-suites 127.0.0.1:50101 hello --tls-cipher-list=TLS_AES_128_GCM_SHA256
  tls_client tls13-suites 127.0.0.1:50101 hello --tls-cipher-list=TLS_CHACHA20_POLY1305_SHA256
  stop_server
  stop_capture tls13-suites
  tls_done tls13-suites
  # The same capture with its secrets inside (a Decryption Secrets Block): it decrypts with no key log.
  editcap --inject-secrets "tls,$OUT/tls13-suites.keys" "$OUT/tls13-suites.pcapng" "$OUT/tls13-dsb.pcapng"
  ready tls13-dsb.pcapng
}

# 10c. TLS 1.2 (--tls-max-v1.2): the basic scenario with the suite OpenSSL picks for an ECDSA certificate
#     (ECDHE-ECDSA-AES128-GCM-SHA256).
sample_tls12_grpcjs() {
  start_capture tls12-grpcjs lo 'tcp port 50102' --capture-comment 'grpctk sample: grpc-js over TLS 1.2 (key log in tls12-grpcjs.keys), see samples/README.md'
  tls_server tls12-grpcjs-server 50102
  tls_client tls12-grpcjs 127.0.0.1:50102 basic --tls-max-v1.2
  stop_server
  stop_capture tls12-grpcjs
  tls_done tls12-grpcjs
}

# 10d. TLS 1.2 with ECDHE-ECDSA-AES256-GCM-SHA384 (the PRF with SHA-384), then ECDHE-ECDSA-CHACHA20-POLY1305:
#     one SayHello each.
sample_tls12_suites() {
  start_capture tls12-suites lo 'tcp port 50103' --capture-comment 'grpctk sample: grpc-js over TLS 1.2, AES-256-GCM then ChaCha20-Poly1305, see samples/README.md'
  tls_server tls12-suites-server 50103
  tls_client tls12-suites 127.0.0.1:50103 hello --tls-max-v1.2 --tls-cipher-list=ECDHE-ECDSA-AES256-GCM-SHA384
  tls_client tls12-suites 127.0.0.1:50103 hello --tls-max-v1.2 --tls-cipher-list=ECDHE-ECDSA-CHACHA20-POLY1305
  stop_server
  stop_capture tls12-suites
  tls_done tls12-suites
}

# 10e. Resumed sessions: TLS 1.3 (the first ClientHello's key share is X25519, which the server does not take:
#     HelloRetryRequest; the second connection resumes with the ticket, PSK), then TLS 1.2 (session ticket).
sample_tls_resume() {
  start_capture tls-resume lo 'tcp port 50104' --capture-comment 'grpctk sample: TLS 1.3 HelloRetryRequest and resumption, TLS 1.2 resumption, see samples/README.md'
  tls_server tls-resume-server 50104 --tls-curves P-256
  local v
  for v in --tls-min-v1.3 --tls-max-v1.2; do
    node --tls-keylog="$WORK/tls-resume.keys" "$v" "$SRC/tls-resume-client.js" --target 127.0.0.1:50104 \
      --tls-ca "$WORK/cert.pem" --tls-name grpctk.test --curves X25519:P-256 \
      2> >(grep -v -e 'tls-keylog makes TLS' -e 'trace-warnings' >&2)
  done
  stop_server
  stop_capture tls-resume
  tls_done tls-resume
}

# 11. One service through every transport of @connectrpc/connect-node: Connect (proto and JSON) and gRPC-Web
#    over HTTP/1.1 (50100), Connect, gRPC-Web and gRPC over HTTP/2 (50101). Needs protoc (Debian
#    protobuf-compiler) for the descriptor set the Connect stack is built from.
sample_connect() {
  command -v protoc >/dev/null || die "protoc not found (apt-get install protobuf-compiler)"
  protoc --include_imports -I "$OUT/protos" -I /usr/include -o "$WORK/demo.pb" "$OUT/protos/grpctk/demo/demo.proto"
  start_capture connect lo 'tcp port 50100 or tcp port 50101' --capture-comment 'grpctk sample: Connect, gRPC-Web and gRPC from @connectrpc/connect-node over HTTP/1.1 and HTTP/2, see samples/README.md'
  start_server connect-server node "$SRC/connect-sample.mjs" server --descriptors "$WORK/demo.pb" --http1-port 50100 --http2-port 50101
  node "$SRC/connect-sample.mjs" client --descriptors "$WORK/demo.pb" --http1-port 50100 --http2-port 50101 >"$OUT/connect.client.log"
  stop_server
  stop_capture connect
  # Not in READY: tshark sees only its HTTP/2 part, so test/cli/web-connect.test.ts compares that part with
  # tshark (test/golden/connect.pcapng.grpc.json) and the rest with the client's log.
  echo "make-samples: wrote samples/connect.pcapng ($(stat -c %s "$OUT/connect.pcapng") bytes)"
}

# 12. Server reflection: a grpc-js server with @grpc/reflection (50110) asked for its files by a reflection
#     client, then called, on one connection. grpctk decodes it typed with no .proto given.
sample_reflection() {
  start_capture reflection lo 'tcp port 50110' --capture-comment 'grpctk sample: gRPC server reflection, then calls, see samples/README.md'
  start_server reflection-server node "$SRC/reflection-sample.js" server --port 50110
  node "$SRC/reflection-sample.js" client --port 50110 >"$OUT/reflection.client.log"
  stop_server
  stop_capture reflection
  ready reflection.pcapng
}

# cut_after_pause NAME: samples/NAME-full.pcapng cut with editcap -r so that it starts with the first packet
# after the client's 1.5 s pause (the capture then joins the connection after its first round of calls).
cut_after_pause() {
  local name=$1 first
  # The pause inside the connection that carries the calls (the one with the most packets).
  local conn
  conn=$(tshark -r "$OUT/$name-full.pcapng" -T fields -e tcp.stream | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
  first=$(tshark -r "$OUT/$name-full.pcapng" -Y "tcp.stream == $conn" -T fields -e frame.number -e frame.time_delta_displayed \
    | awk '$2 > 1.0 { print $1; exit }')
  [ -n "$first" ] || die "$name: no pause found"
  editcap -r "$OUT/$name-full.pcapng" "$OUT/$name.pcapng" "$first-1000000"
  chmod 644 "$OUT/$name.pcapng"
}

# go_client TARGET: builds samples/src/go-client offline in GOPATH mode (Debian's golang-google-grpc-dev,
# protoc, protoc-gen-go) and runs it.
go_client() {
  local gw=$WORK/go
  if [ ! -x "$gw/go-client" ]; then
    mkdir -p "$gw/src/grpctkpb/demo" "$gw/src/grpctkpb/hello" "$gw/src/client" "$gw/gen"
    (cd "$SRC/go-client" && protoc -I . --go_out="$gw/gen" demo_min.proto && protoc -I . --go_out="$gw/gen" hello_min.proto)
    mv "$gw/gen/demo_min.pb.go" "$gw/src/grpctkpb/demo/"
    mv "$gw/gen/hello_min.pb.go" "$gw/src/grpctkpb/hello/"
    cp "$SRC/go-client/main.go" "$gw/src/client/"
    (cd "$gw/src/client" && GO111MODULE=off GOPATH="$gw:/usr/share/gocode" GOCACHE="$gw/cache" GOPROXY=off go build -o "$gw/go-client" .)
  fi
  "$gw/go-client" -target "$1"
}

# 13. Captures that join long-lived connections: one connection per client stack, two rounds of calls with a
#    pause between them; NAME-full.pcapng is the whole recording, NAME.pcapng starts after the pause.
sample_joined_longlived() {
  start_capture joined-grpcjs-full lo 'tcp port 52100' --capture-comment 'grpctk sample: grpc-js long-lived connection (uncut), see samples/README.md'
  node_server joined-grpcjs-server 127.0.0.1 52100
  node_client 127.0.0.1:52100 longlived
  stop_server
  stop_capture joined-grpcjs-full
  cut_after_pause joined-grpcjs

  start_capture joined-grpcio-full lo 'tcp port 52101' --capture-comment 'grpctk sample: grpcio long-lived connection (uncut), see samples/README.md'
  py_server joined-grpcio-server 127.0.0.1 52101
  py_client 127.0.0.1:52101 longlived
  stop_server
  stop_capture joined-grpcio-full
  cut_after_pause joined-grpcio

  start_capture joined-grpcgo-full lo 'tcp port 52102' --capture-comment 'grpctk sample: grpc-go client, grpc-js server, long-lived connection (uncut), see samples/README.md'
  node_server joined-grpcgo-server 127.0.0.1 52102
  go_client 127.0.0.1:52102
  stop_server
  stop_capture joined-grpcgo-full
  cut_after_pause joined-grpcgo
  recorded joined-grpcjs-full.pcapng joined-grpcjs.pcapng joined-grpcio-full.pcapng joined-grpcio.pcapng joined-grpcgo-full.pcapng joined-grpcgo.pcapng
}

# 14. One connection recorded three times at once: by a dumpcap of both directions (merged-ref.pcapng) and
#     by two dumpcaps of one direction each, concatenated server-to-client first with mergecap -a
#     (merged.pcapng): every response comes before its request in file order.
sample_merged() {
  local ref_pid up_pid
  start_capture merged-ref lo 'tcp port 52103' --capture-comment 'grpctk sample: reference for merged.pcapng'
  ref_pid=$CAP_PID
  start_capture merged-up lo 'tcp dst port 52103'
  up_pid=$CAP_PID
  start_capture merged-down lo 'tcp src port 52103'
  node_server merged-server 127.0.0.1 52103
  node_client 127.0.0.1:52103 longlived
  stop_server
  stop_capture merged-down
  CAP_PID=$up_pid
  stop_capture merged-up
  CAP_PID=$ref_pid
  stop_capture merged-ref
  mergecap -a -w "$OUT/merged.pcapng" "$OUT/merged-down.pcapng" "$OUT/merged-up.pcapng"
  rm -f "$OUT/merged-down.pcapng" "$OUT/merged-up.pcapng"
  chmod 644 "$OUT/merged.pcapng"
  recorded merged-ref.pcapng merged.pcapng
}

# 15. Other protocols on loopback, for the HTTP/2 test of the detector (it must not take them for HTTP/2):
#     PostgreSQL and Redis (Debian's servers, started on private ports in a temporary directory), TLS and
#     HTTP/1.1 (node), random bytes (node, over a plain TCP socket). Connections are captured whole and
#     tests cut their starts off.
sample_other_protocols() {
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
  [ -x "$pgbin/initdb" ] || die "PostgreSQL not installed (apt-get install postgresql)"
  command -v redis-server >/dev/null || die "redis-server not installed (apt-get install redis-server)"
  start_capture other-protocols lo 'tcp port 55432 or tcp port 56379 or tcp port 52110 or tcp port 52111 or tcp port 52112' --capture-comment 'grpctk sample: PostgreSQL, Redis, TLS, HTTP/1.1 and random bytes on loopback'
  # PostgreSQL: initdb as the nobody user when root (initdb refuses root).
  local pg
  pg=$(mktemp -d /tmp/grpctk-pg.XXXXXX)
  chmod 755 "$pg"
  chown nobody "$pg" 2>/dev/null || true
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u nobody --)
  "${as[@]}" "$pgbin/initdb" -D "$pg/data" -A trust -U grpctk >/dev/null
  "${as[@]}" "$pgbin/pg_ctl" -D "$pg/data" -o "-p 55432 -k $pg -c listen_addresses=127.0.0.1" -l "$pg/log" -w start >/dev/null
  psql -h 127.0.0.1 -p 55432 -U grpctk -d postgres -c "create table t (id int, name text); insert into t select g, md5(g::text) from generate_series(1, 200) g; select * from t;" >/dev/null
  psql -h 127.0.0.1 -p 55432 -U grpctk -d postgres -c "select count(*), sum(id) from t; select pg_sleep(0.1);" >/dev/null
  "${as[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m fast stop >/dev/null
  rm -rf "$pg"
  # Redis.
  redis-server --port 56379 --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$WORK/redis.log" 2>&1 &
  local redis_pid=$!
  PIDS+=("$redis_pid")
  wait_for "$WORK/redis.log" "Ready to accept connections"
  for i in $(seq 1 50); do echo "SET key:$i value-$i-$(head -c 24 /dev/urandom | base64)"; done | redis-cli -p 56379 >/dev/null
  redis-cli -p 56379 --raw KEYS 'key:*' >/dev/null
  for i in $(seq 1 50); do echo "GET key:$i"; done | redis-cli -p 56379 >/dev/null
  kill "$redis_pid"
  wait "$redis_pid" 2>/dev/null || true
  # TLS, HTTP/1.1 and random bytes.
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
  node "$SRC/other-protocols.js" --tls-port 52110 --http1-port 52111 --random-port 52112 --key "$WORK/key.pem" --cert "$WORK/cert.pem"
  stop_capture other-protocols
  recorded other-protocols.pcapng
}

# cut_in_message NAME PORT: samples/NAME-full.pcapng cut with editcap -r inside the first request larger than
# 65,535 bytes (one flow-control window: it takes several packets), at the packet that completes it: the
# capture keeps its end, not its start. Inside long-lived streams, after their HEADERS.
cut_in_message() {
  local name=$1 port=$2 last stream before
  read -r last stream < <(tshark -r "$OUT/$name-full.pcapng" -d "tcp.port==$port,http2" -Y 'grpc.message_length > 65535' \
    -T fields -e frame.number -e tcp.stream | head -1)
  [ -n "$last" ] || die "$name: no large message found"
  # The client's packet before it carried the message's start (or more of it).
  before=$(tshark -r "$OUT/$name-full.pcapng" -Y "tcp.stream == $stream && tcp.dstport == $port && tcp.len > 0 && frame.number < $last" \
    -T fields -e tcp.len | tail -1)
  [ "${before:-0}" -gt 16384 ] || die "$name: the large message is in one packet"
  editcap -r "$OUT/$name-full.pcapng" "$OUT/$name.pcapng" "$last-1000000"
  chmod 644 "$OUT/$name.pcapng"
}

# 16. Long-lived streams joined in their middle: on two grpc-js connections, a bidi stream and a server stream
#     that send a message every 100 ms for 3 s; the capture is cut inside an 80 KB request of one bidi stream,
#     after every stream's HEADERS: the cut capture holds their DATA and trailers alone.
sample_joined_stream() {
  start_capture joined-stream-full lo 'tcp port 52104' --capture-comment 'grpctk sample: grpc-js long-lived streams (uncut), see samples/README.md'
  node_server joined-stream-server 127.0.0.1 52104
  node_client 127.0.0.1:52104 stream
  stop_server
  stop_capture joined-stream-full
  cut_in_message joined-stream 52104
  recorded joined-stream-full.pcapng joined-stream.pcapng
}

KNOWN=(grpcjs-basic grpcio-basic mixed non-grpc any-sll hostile large-messages tls-nokeys joined tls13-grpcjs tls13-suites tls12-grpcjs tls12-suites tls-resume connect reflection joined-longlived merged other-protocols joined-stream)
ALL=("${KNOWN[@]}")
[ $# -gt 0 ] && ALL=("$@")
for s in "${ALL[@]}"; do
  fn=sample_${s//-/_}
  declare -F "$fn" >/dev/null || die "unknown sample $s (known: ${KNOWN[*]})"
  echo "make-samples: recording $s"
  "$fn"
done
