#!/bin/sh
# demo.sh BIN - the IR tools end to end on examples/demo.cir.
#
# Parses and verifies the graph, runs the cleanup pipeline with statistics,
# shows the graph after it, proves the text form round-trips, and shows the
# diagnostic a broken graph gets.  (The ONNX-to-object-file demo replaces
# this once the frontend and code generator land.)
set -eu
BIN=${1:-build/bin}
HERE=$(dirname "$0")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== condense $("$BIN/condense" --version | cut -d' ' -f2-)"
echo
echo "== input: $HERE/demo.cir ($(grep -c '^  %' "$HERE/demo.cir") ops, constants included)"
"$BIN/condense-opt" "$HERE/demo.cir" > "$TMP/in.cir"
echo "parsed and verified"
echo
echo "== pipeline constfold,canonicalize,cse,dce"
"$BIN/condense-opt" "$HERE/demo.cir" --verify-each --stats \
	--passes=constfold,canonicalize,cse,dce -o "$TMP/out.cir"
echo
sed -n '/^graph/,/^}/p' "$TMP/out.cir"
echo
echo "== round trip: print(parse(print(g))) == print(g)"
"$BIN/condense-opt" "$TMP/out.cir" > "$TMP/again.cir"
cmp "$TMP/out.cir" "$TMP/again.cir" && echo "identical, $(wc -c < "$TMP/out.cir") bytes"
echo
echo "== a broken graph: Relu declared with the wrong shape"
sed 's/%r = Relu %c : f32\[1,8,6,6\]/%r = Relu %c : f32[1,8,6,5]/' "$HERE/demo.cir" > "$TMP/bad.cir"
if "$BIN/condense-opt" "$TMP/bad.cir" > /dev/null 2> "$TMP/err.txt"; then
	echo "error: the broken graph was accepted" >&2
	exit 1
fi
sed "s|$TMP/||" "$TMP/err.txt"
