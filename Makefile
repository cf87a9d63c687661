# The two commands a newcomer needs (see README.md):
#   make run   — install what is missing, build, start `till serve` on SQLite under ./var/
#   make test  — install what is missing, build, run the whole test suite
# Everything else here is a convenience for developers.

SHELL := /bin/bash

BUILD_DIR  ?= build/release
ASAN_DIR   ?= build/asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# ccache: paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all deps build run test test-asan asan-build fuzz bench format tidy clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@mkdir -p var
	$(BUILD_DIR)/till serve --data-dir ./var --demo-merchant

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j $(JOBS)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs it too).
asan-build: deps
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTILL_SANITIZE=ON \
	  -DTILL_BUILD_BENCH=OFF $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)

test-asan: asan-build
	@cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --timeout 900 -j $(JOBS)

# Short coverage-guided fuzz runs of every target (clang + libFuzzer + ASan/UBSan).
FUZZ_DIR     ?= build/fuzz
FUZZ_SECONDS ?= 30
fuzz: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTILL_FUZZ=ON -DTILL_WERROR=OFF -DTILL_BUILD_TESTS=OFF -DTILL_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target config_fuzz log_fuzz http_fuzz money_fuzz admin_fuzz params_fuzz events_fuzz connectors_fuzz
	@set -o pipefail; for target in config_fuzz log_fuzz http_fuzz money_fuzz admin_fuzz params_fuzz events_fuzz connectors_fuzz; do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$target; \
	  echo "== fuzzing $$target for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_DIR)/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
	    $(FUZZ_DIR)/corpus/$$target fuzz/seeds/$$target 2>&1 | tail -n 12 || exit 1; \
	done

bench: build
	@$(BUILD_DIR)/bench/till_bench

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

tidy: build
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf build
