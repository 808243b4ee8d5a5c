# Makefile - front door for humans and CI, over CMake + Ninja.
#
#   make / make build   install missing packages, configure build/, build it
#   make check          warnings-as-errors build + ctest, then the same under
#                       ASan/UBSan (clang-19) in build-asan/; ends with ctest's
#                       summary of the ASan run
#   make demo           build, then sh examples/demo.sh build/bin
#   make fuzz           libFuzzer targets from fuzz/*.c into build-fuzz/bin
#   make bench          benchmark against ONNX Runtime, IREE, TFLite (bench/bench.mk)
#   make deps           install the Debian packages below that are missing
#   make clean          remove every build directory
#
# ninja picks the build parallelism itself; ctest runs $(NPROC) tests at once.

DEPS_PKGS := \
	gcc libc6-dev make cmake ninja-build pkg-config python3 python3-psutil \
	llvm-19 llvm-19-dev llvm-19-tools clang-19 libclang-rt-19-dev \
	protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata \
	libxxhash-dev liblapacke-dev \
	qemu-user valgrind gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu \
	libc6-dev-arm64-cross libc6-dev-riscv64-cross \
	python3-onnx python3-torch python3-torchvision python3-sklearn python3-numpy

NPROC := $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
CTEST ?= ctest
CLANG ?= clang-19

BUILD_DIR := build
ASAN_DIR := build-asan
FUZZ_DIR := build-fuzz

# Configure arguments of each build directory: FIRST_* only before the cache
# exists (generator, compiler), the rest on every configure.
FIRST_BUILD := -DCMAKE_BUILD_TYPE=RelWithDebInfo
CHECK_ARGS := -DCONDENSE_WERROR=ON
FIRST_ASAN := -DCMAKE_C_COMPILER=$(CLANG) -DCMAKE_BUILD_TYPE=Debug
ASAN_ARGS := -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DCONDENSE_SANITIZE=ON -DCONDENSE_WERROR=ON
FIRST_FUZZ := -DCMAKE_C_COMPILER=$(CLANG) -DCMAKE_BUILD_TYPE=RelWithDebInfo
FUZZ_ARGS := -DCONDENSE_FUZZ=ON

# $(call configure,DIR,FIRST-TIME ARGS,ARGS): configure DIR with ARGS, and
# with Ninja and FIRST-TIME ARGS when DIR has no CMake cache yet.
configure = if [ -f $(1)/CMakeCache.txt ]; then \
		$(CMAKE) -S . -B $(1) $(3); \
	else \
		$(CMAKE) -S . -B $(1) -G Ninja $(2) $(3); \
	fi

.PHONY: all build check demo fuzz deps clean

all: build

deps:
	@missing=; n=0; \
	for p in $(DEPS_PKGS); do \
		n=$$((n + 1)); \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "deps: all $$n packages present"; \
	elif [ "$$(id -u)" -eq 0 ]; then \
		echo "deps: installing$$missing"; \
		apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
		echo "deps: missing packages; install them with:" >&2; \
		echo "  sudo apt-get install$$missing" >&2; \
		exit 1; \
	fi

build: deps
	@[ -f $(BUILD_DIR)/build.ninja ] || \
		$(CMAKE) -S . -B $(BUILD_DIR) -G Ninja $(FIRST_BUILD)
	$(CMAKE) --build $(BUILD_DIR)

check: deps
	$(call configure,$(BUILD_DIR),$(FIRST_BUILD),$(CHECK_ARGS))
	$(CMAKE) --build $(BUILD_DIR)
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j$(NPROC)
	$(call configure,$(ASAN_DIR),$(FIRST_ASAN),$(ASAN_ARGS))
	$(CMAKE) --build $(ASAN_DIR)
	$(CTEST) --test-dir $(ASAN_DIR) --output-on-failure -j$(NPROC)

demo: build
	@if [ ! -f examples/demo.sh ]; then \
		echo "demo: examples/demo.sh does not exist yet" >&2; exit 1; \
	fi
	sh examples/demo.sh $(BUILD_DIR)/bin

fuzz: deps
	$(call configure,$(FUZZ_DIR),$(FIRST_FUZZ),$(FUZZ_ARGS))
	$(CMAKE) --build $(FUZZ_DIR) --target fuzzers
	@set -- fuzz/*.c; \
	if [ ! -e "$$1" ]; then \
		echo "fuzz: fuzz/ has no .c files yet: no fuzz targets built"; \
		exit 0; \
	fi; \
	echo "fuzz: targets are in $(FUZZ_DIR)/bin; run one with, for example:"; \
	for f in "$$@"; do \
		t=$$(basename "$$f" .c); \
		case $$t in fuzz[-_]*) ;; *) t=fuzz_$$t ;; esac; \
		d=; for x in "$${f%.c}.dict" "fuzz/$${t#fuzz[-_]}.dict"; do \
			[ -f "$$x" ] && d=" -dict=$$x" && break; \
		done; \
		echo "  mkdir -p fuzz-work/$$t && $(FUZZ_DIR)/bin/$$t$$d -max_total_time=60 fuzz-work/$$t"; \
	done; \
	echo "(append a seed corpus directory, if there is one, after fuzz-work/NAME)"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)

# make bench, make bench-venv: bench/bench.mk (not part of make check).
include bench/bench.mk
