# bench/bench.mk - the benchmark; the Makefile includes it.
#
#   make bench-venv   create or update .venv-bench/ (bench/venv.sh): Debian's
#                     /usr/bin/python3 with --system-site-packages, plus the
#                     pinned peers of bench/requirements*.txt from PyPI
#   make bench        build condense, then bench/bench.py: single-thread
#                     latency of condense, ONNX Runtime, IREE and TFLite
#                     (XNNPACK) on MobileNetV2, ResNet-18 and the digits CNN,
#                     written to docs/benchmarks.md (work files in
#                     $(BUILD_DIR)/bench).  BENCH_ARGS passes options, e.g.
#                     make bench BENCH_ARGS="--reps 3 --models resnet18"
#
# A failed build or a peer that cannot take a model does not fail the
# target: docs/benchmarks.md reports what was not measured and why.

BENCH_VENV ?= .venv-bench
BENCH_ARGS ?=

.PHONY: bench bench-venv

bench-venv: $(BENCH_VENV)/.bench-stamp

$(BENCH_VENV)/.bench-stamp: bench/requirements.txt bench/requirements-nodeps.txt bench/venv.sh
	sh bench/venv.sh $(BENCH_VENV)

bench: bench-venv
	@$(MAKE) --no-print-directory build || \
		echo "bench: the build failed; condense is benchmarked only if $(BUILD_DIR)/bin/condense exists" >&2
	$(BENCH_VENV)/bin/python bench/bench.py --condense $(BUILD_DIR)/bin/condense \
		--work $(BUILD_DIR)/bench --out docs/benchmarks.md $(BENCH_ARGS)
