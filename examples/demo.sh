#!/bin/sh
# demo.sh BIN - what condense does today, end to end.
#
# 1. The bundled digits CNN (examples/digits/digits.onnx): import it, show
#    the IR, and classify the 450 held-out test images with the reference
#    interpreter, checked against PyTorch.
# 2. Compile it to an object file and header, link it into
#    examples/digits/main.c, and classify the same images natively; then
#    cross-compile for aarch64 and riscv64 and run the same app under qemu.
#    Each prints accuracy, object size (text + rodata), scratch bytes and
#    latency per image (under qemu: emulated time, not the board's).  Then
#    the same three with --quantize int8 (calibrated on the training split),
#    and a float vs int8 table.
# 3. The IR tools on examples/demo.cir: verify, the cleanup pipeline with
#    statistics, the byte-for-byte round trip, and a diagnostic.
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
ROOT=$(cd "$HERE/.." && pwd)
SIZE=/usr/lib/llvm-19/bin/llvm-size

# compiled NAME CC RUNNER REPEATS [condense compile options]: compile the
# digits model, link the app with CC, run it with RUNNER.
compiled() {
	name=$1 cc=$2 runner=$3 repeats=$4
	shift 4
	d="$TMP/$name"
	mkdir -p "$d"
	t0=$(date +%s.%N)
	"$BIN/condense" compile "$HERE/digits/digits.onnx" -o "$d/digits.o" --header "$d/digits.h" "$@"
	t1=$(date +%s.%N)
	$cc -std=c11 -O2 -I"$d" -I"$ROOT" "$HERE/digits/main.c" "$ROOT/runtime/npy.c" "$d/digits.o" \
		-o "$d/digits" $([ "$runner" = "" ] || echo -static)
	bytes=$("$SIZE" -A "$d/digits.o" | awk '$1 ~ /^\.(text|rodata)/ { n += $2 } END { print n }')
	echo "-- $name: compiled in $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s; object text + rodata: $bytes bytes;" \
		"undefined symbols: $(nm -u "$d/digits.o" | awk '{print $2}' | tr '\n' ' ')"
	$runner "$d/digits" "$HERE/digits/test_x.npy" "$HERE/digits/test_y.npy" "$repeats" | tee "$d/out.txt"
	echo "$bytes" > "$d/bytes.txt"
}

# row NAME: one line of the float vs int8 table from compiled's files.
row() {
	f="$TMP/$1" q="$TMP/$1-int8"
	acc() { sed -n 's/^accuracy: \([0-9]*\)\/.*/\1/p' "$1/out.txt"; }
	num() { sed -n "s/^$2: \([0-9.]*\).*/\1/p" "$1/out.txt"; }
	printf '%-8s | %3s/450  %3s/450 | %6s  %6s | %6s  %6s | %7s  %7s\n' "$1" \
		"$(acc "$f")" "$(acc "$q")" "$(cat "$f/bytes.txt")" "$(cat "$q/bytes.txt")" \
		"$(num "$f" scratch)" "$(num "$q" scratch)" "$(num "$f" latency)" "$(num "$q" latency)"
}

echo
echo "== compile the digits CNN and link it into examples/digits/main.c"
compiled host cc "" 20
echo
echo "== the same app cross-compiled, under qemu (latency is emulated time)"
compiled aarch64 aarch64-linux-gnu-gcc qemu-aarch64 2 --target aarch64-linux-gnu
compiled riscv64 riscv64-linux-gnu-gcc "qemu-riscv64 -cpu rv64,v=true,vext_spec=v1.0,vlen=128" 2 --target riscv64-linux-gnu
echo
echo "== int8: calibrated on the training split (examples/digits/train_x.npy), same app"
CAL="--quantize int8 --calibration $HERE/digits/train_x.npy"
# shellcheck disable=SC2086 # CAL is a list of arguments
compiled host-int8 cc "" 20 $CAL
# shellcheck disable=SC2086
compiled aarch64-int8 aarch64-linux-gnu-gcc qemu-aarch64 2 --target aarch64-linux-gnu $CAL
# shellcheck disable=SC2086
compiled riscv64-int8 riscv64-linux-gnu-gcc "qemu-riscv64 -cpu rv64,v=true,vext_spec=v1.0,vlen=128" 2 \
	--target riscv64-linux-gnu $CAL
echo
echo "== float vs int8 (latency under qemu is emulated time, not a board's)"
echo "target   | accuracy f32  int8 | text+rodata B  | scratch B      | latency us f32  int8"
for t in host aarch64 riscv64; do row $t; done
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
