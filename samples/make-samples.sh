#!/usr/bin/env bash
# Records the sample captures of samples/README.md: real gRPC stacks (grpc-js, Python grpcio) talking on
# loopback, captured with dumpcap. Run from anywhere (it changes to the repository root); idempotent: every
# capture is rewritten from scratch. Takes about a minute.
#
#   samples/make-samples.sh                 # all samples
#   samples/make-samples.sh grpcjs-basic    # only the named ones
#
# Needs: dumpcap and editcap (Wireshark 4.x), node with the dev dependencies installed, /usr/bin/python3 with
# grpcio and grpc_tools (Debian python3-grpcio, python3-grpc-tools), curl. Capturing on lo needs root or
# dumpcap's capabilities. Each finished sample is appended to samples/READY (others poll it).
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
for tool in dumpcap editcap node curl gzip "$PY"; do
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

# 9. One service through every transport of @connectrpc/connect-node: Connect (proto and JSON) and gRPC-Web
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

# 10. Server reflection: a grpc-js server with @grpc/reflection (50110) asked for its files by a reflection
#     client, then called, on one connection. grpctk decodes it typed with no .proto given.
sample_reflection() {
  start_capture reflection lo 'tcp port 50110' --capture-comment 'grpctk sample: gRPC server reflection, then calls, see samples/README.md'
  start_server reflection-server node "$SRC/reflection-sample.js" server --port 50110
  node "$SRC/reflection-sample.js" client --port 50110 >"$OUT/reflection.client.log"
  stop_server
  stop_capture reflection
  ready reflection.pcapng
}

KNOWN=(grpcjs-basic grpcio-basic mixed non-grpc any-sll hostile large-messages connect reflection)
ALL=("${KNOWN[@]}")
[ $# -gt 0 ] && ALL=("$@")
for s in "${ALL[@]}"; do
  fn=sample_${s//-/_}
  declare -F "$fn" >/dev/null || die "unknown sample $s (known: ${KNOWN[*]})"
  echo "make-samples: recording $s"
  "$fn"
done
