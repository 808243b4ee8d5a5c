#!/bin/sh
# demo.sh BIN - what condense does today, end to end.
#
# 1. The bundled digits CNN (examples/digits/digits.onnx): import it, show
#    the IR, and classify the 450 held-out test images with the reference
#    interpreter, checked against PyTorch.
# 2. The IR tools on examples/demo.cir: verify, the cleanup pipeline with
#    statistics, the byte-for-byte round trip, and a diagnostic.
# (Compiling to an object file joins once the code generator lands.)
set -eu
BIN=${1:-build/bin}
HERE=$(dirname "$0")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== condense $("$BIN/condense" --version | cut -d' ' -f2-)"
echo
echo "== the digits CNN: import examples/digits/digits.onnx"
"$BIN/condense-opt" "$HERE/digits/digits.onnx" -o "$TMP/digits.cir"
echo "$(grep -c '^  %' "$TMP/digits.cir") ops and constants after import; the ops:"
grep '^  %' "$TMP/digits.cir" | grep -v ' = const ' | sed 's/ {.*} / /; s/ loc(.*//'
echo
echo "== classify the held-out test split in the reference interpreter"
/usr/bin/python3 "$HERE/digits/accuracy.py" --condense "$BIN/condense"
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
