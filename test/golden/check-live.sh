#!/usr/bin/env bash
# The live comparison with Wireshark: run tshark on every sample again and check that its dissection still
# equals the committed golden files, which the test suite compares grpctk's decode with. Together: grpctk
# agrees with the tshark installed here. Needs tshark and the well-known .proto files (Debian: tshark,
# libprotobuf-dev); .ci/run runs it after npm test.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
[ "$status" = 0 ] && echo "check-live: tshark's dissection of $(ls "$tmp" | wc -l) golden files matches the committed ones"
exit "$status"
