#!/usr/bin/env bash
# The live comparison with Wireshark: run tshark on every sample again and check that its dissection still
# equals the committed golden files, which the test suite compares grpctk's decode with. Together: grpctk
# agrees with the tshark installed here. Needs tshark and the well-known .proto files (Debian: tshark,
# libprotobuf-dev); .ci/run runs it after npm test.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$tmp" "$work"' EXIT
GOLDEN_OUT=$tmp test/golden/make-golden.sh 2> >(grep -v "^Running as user" >&2) >/dev/null
status=0
for f in "$tmp"/*; do
  name=$(basename "$f")
  if ! cmp -s "$f" "test/golden/$name"; then
    echo "check-live: tshark $(tshark --version | head -1 | awk '{print $3}') now differs from test/golden/$name:" >&2
    diff "test/golden/$name" "$f" | head -20 >&2 || true
    status=1
  fi
done
# split's parts as Wireshark reads them (npm test checks them against the golden tcp.stream of each packet):
# each connection part of grpcjs-basic is a pcapng file with one TCP conversation, as many packets as
# split's index says. Needs the built CLI (npm ci builds it).
parts=$work/split-parts
node bin/grpctk.js split --by connection -q -o "$parts" samples/grpcjs-basic.pcapng > "$work/split-index.ndjson"
while IFS=$'\t' read -r part packets; do
  info=$(capinfos -t -c "$part")
  streams=$(tshark -r "$part" -T fields -e tcp.stream 2> >(grep -v "^Running as user" >&2) | sort -u | tr '\n' ' ')
  if ! grep -Eq 'File type:\s+Wireshark/.* - pcapng' <<< "$info" || ! grep -Eq "Number of packets:\s+$packets\b" <<< "$info" || [ "$streams" != "0 " ]; then
    echo "check-live: split part $(basename "$part") ($packets packets in the index): capinfos says $(tr '\n' ' ' <<< "$info"); tcp.stream $streams" >&2
    status=1
  fi
done < <(node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) { const r = JSON.parse(l); console.log(`${r.path}\t${r.packets}`); }' "$work/split-index.ndjson")
[ "$(wc -l < "$work/split-index.ndjson")" = 3 ] || { echo "check-live: split --by connection of grpcjs-basic gave $(wc -l < "$work/split-index.ndjson") parts, not 3" >&2; status=1; }
[ "$status" = 0 ] && echo "check-live: tshark's dissection of $(ls "$tmp" | wc -l) golden files matches the committed ones"
exit "$status"
