#!/usr/bin/env bash
# Writes the golden files of test/golden/ from the sample captures with tshark (Wireshark 4.0.17 made the
# committed ones; tests only read the committed files, so CI needs no tshark). See test/golden/README.md.
#
#   test/golden/make-golden.sh                        # every capture in samples/
#   test/golden/make-golden.sh grpcjs-basic.pcapng    # only the named captures
#
# Per capture F (its file name, extension included): F.packets.tsv, F.grpc.json, F.bytes.tsv, F.http2.tsv.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
# GOLDEN_OUT: write elsewhere (check-live.sh compares a fresh run with the committed files).
OUT=${GOLDEN_OUT:-$ROOT/test/golden}
SAMPLES=$ROOT/samples
NORM=$ROOT/test/golden/tshark2golden.py

die() { echo "make-golden: $*" >&2; exit 1; }
command -v tshark >/dev/null || die "tshark not found: install Wireshark's tshark (Debian: apt-get install tshark)"
command -v python3 >/dev/null || die "python3 not found"

# Server ports of each capture (Wireshark only dissects HTTP/2 on these with "Decode As"). Ports that carry
# something else (non-grpc's HTTP/1.1 server on 50061) are left out on purpose.
ports_of() {
  case "$1" in
    grpcjs-basic*) echo 50051 ;;
    grpcio-basic*) echo 50052 ;;
    mixed*) echo 50053,50054 ;;
    non-grpc*) echo 50060,50062 ;;
    any-sll*) echo 50070 ;;
    hostile*) echo 50080 ;;
    large-messages*) echo 50090 ;;
    joined-grpcjs*) echo 52100 ;;
    joined-grpcio*) echo 52101 ;;
    joined-grpcgo*) echo 52102 ;;
    joined-stream*) echo 52104 ;;
    merged*) echo 52103 ;;
    other-protocols*) echo "" ;;
    tls-nokeys*) echo 50443 ;;
    joined*) echo 50100 ;;
    tls13-grpcjs*) echo 50100 ;;
    tls13-suites* | tls13-dsb*) echo 50101 ;;
    tls12-grpcjs*) echo 50102 ;;
    tls12-suites*) echo 50103 ;;
    tls-resume*) echo 50104 ;;
    connect*) echo 50101 ;;
    reflection*) echo 50110 ;;
    *) die "no ports known for $1: add it to ports_of in $0" ;;
  esac
}

# The protobuf search paths: the samples' protos (loaded), and the well-known types (google/protobuf/*.proto)
# from protoc's include directory or grpc_tools' copy.
WKT=""
for d in /usr/include /usr/lib/python3/dist-packages/grpc_tools/_proto; do
  [ -f "$d/google/protobuf/timestamp.proto" ] && { WKT=$d; break; }
done
[ -n "$WKT" ] || die "google/protobuf/timestamp.proto not found (install protobuf-compiler or python3-grpc-tools)"

# first_kept FULL CUT: the number in FULL of CUT's first packet (editcap -r keeps packets whole, in order):
# the packet with the same timestamp, checked by the count of packets after it.
first_kept() {
  local full=$1 cut=$2 ts n total kept
  ts=$(tshark -r "$cut" -c 1 -T fields -e frame.time_epoch)
  n=$(tshark -r "$full" -T fields -e frame.number -e frame.time_epoch | awk -v ts="$ts" '$2 == ts { print $1; exit }')
  [ -n "$n" ] || die "$cut: its first packet is not in $full"
  total=$(tshark -r "$full" -T fields -e frame.number | wc -l)
  kept=$(tshark -r "$cut" -T fields -e frame.number | wc -l)
  [ $((total - n + 1)) = "$kept" ] || die "$cut is not $full from packet $n on"
  echo "$n"
}

# TLS samples (tls*): TLS on their ports (HTTP/2 inside is chosen by ALPN), decrypted with the key log
# samples/NAME.keys written beside the capture; tls13-dsb.pcapng carries its secrets in the file (a DSB).
golden() {
  local file=$1 ports dopts=() p proto=http2
  ports=$(ports_of "$file")
  case "$file" in
    tls*) proto=tls ;;
  esac
  for p in ${ports//,/ }; do dopts+=(-d "tcp.port==$p,$proto"); done
  [ -f "$SAMPLES/${file%.pcapng}.keys" ] && dopts+=(-o "tls.keylog_file:$SAMPLES/${file%.pcapng}.keys")
  local tshark_opts=(
    -n
    -o "uat:protobuf_search_paths:\"$WKT\",\"FALSE\""
    -o "uat:protobuf_search_paths:\"$SAMPLES/protos\",\"TRUE\""
    -o tcp.desegment_tcp_streams:TRUE
    -o tcp.reassemble_out_of_order:TRUE
    "${dopts[@]}"
  )
  # The reflection sample: tshark knows gRPC server reflection's messages from @grpc/reflection's .proto
  # files (grpctk loads the same files always).
  case "$file" in
    reflection*) tshark_opts+=(-o "uat:protobuf_search_paths:\"$ROOT/node_modules/@grpc/reflection/build/proto/grpc/reflection/v1\",\"TRUE\"") ;;
  esac
  local in=$SAMPLES/$file
  tshark -r "$in" -T fields -E header=y -E separator=/t \
    -e frame.number -e frame.time_epoch -e tcp.stream -e tcp.len -e tcp.srcport -e tcp.dstport \
    -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst >"$OUT/$file.packets.tsv.tmp"
  # The dissection of a cut capture (joined-X.pcapng, cut from joined-X-full.pcapng by editcap -r) is that
  # of the uncut one, restricted to the packets kept: Wireshark cannot dissect a connection joined midway
  # (its HPACK state is missing), the uncut capture tells what was really sent. A capture merged from one
  # file per direction (merged.pcapng) has no such truth of its own (Wireshark's gRPC dissector fails on it
  # with "Dissector bug"); its reference is merged-ref.pcapng, the same traffic, compared by the tests.
  local src=$in first=1
  case "$file" in
    joined-*-full.pcapng) ;;
    joined-*.pcapng)
      src=$SAMPLES/${file%.pcapng}-full.pcapng
      first=$(first_kept "$src" "$in") ;;
  esac
  if [ "$file" = merged.pcapng ]; then
    echo '{"messages": [], "calls": [], "note": "no dissection: see merged-ref.pcapng"}' >"$OUT/$file.grpc.json.tmp"
  else
    tshark -r "$src" "${tshark_opts[@]}" -T pdml -J 'frame ip ipv6 tcp tls http2 grpc protobuf' \
      | python3 "$NORM" grpc "$ports" "$first" >"$OUT/$file.grpc.json.tmp"
  fi
  tshark -r "$in" -n -Y '!tcp.analysis.retransmission' -T fields -E header=y -E separator=/t \
    -e tcp.stream -e tcp.srcport -e tcp.dstport -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.len \
    -e tcp.flags.syn -e tcp.flags.ack \
    | python3 "$NORM" bytes "$ports" >"$OUT/$file.bytes.tsv.tmp"
  # Every HTTP/2 frame with its packet's time: the start and end of each stream, for stats' latencies.
  tshark -r "$in" -n "${dopts[@]}" -Y http2 -T fields -E header=y -E separator=/t \
    -e frame.time_epoch -e tcp.stream -e tcp.srcport -e http2.streamid -e http2.type -e http2.flags \
    >"$OUT/$file.http2.tsv.tmp"
  local f
  for f in packets.tsv grpc.json bytes.tsv http2.tsv; do mv "$OUT/$file.$f.tmp" "$OUT/$file.$f"; done
  echo "make-golden: $file: $(($(wc -l <"$OUT/$file.packets.tsv") - 1)) packets," \
    "$(grep -c '"direction"' "$OUT/$file.grpc.json" || true) gRPC messages," \
    "$(grep -c '"method"' "$OUT/$file.grpc.json" || true) calls"
}

FILES=()
if [ $# -gt 0 ]; then
  FILES=("$@")
else
  for f in "$SAMPLES"/*.pcapng "$SAMPLES"/*.pcap "$SAMPLES"/*.pcapng.gz; do
    [ -e "$f" ] && FILES+=("$(basename "$f")")
  done
fi
[ ${#FILES[@]} -gt 0 ] || die "no captures in samples/: run samples/make-samples.sh first"
for f in "${FILES[@]}"; do
  [ -f "$SAMPLES/$f" ] || die "no such capture samples/$f"
  golden "$f"
done
