# Greenlight: the two commands of the README, and the build steps behind them.
#   make run   install what is missing, build, start on 127.0.0.1:8080 with demo data
#   make test  install what is missing, build (plain and with ASan+UBSan), run every test

BUILD      ?= build
ASAN_BUILD ?= build-asan
DB         ?= var/greenlight.db
LISTEN     ?= 127.0.0.1:8080

.PHONY: all setup build build-asan run test test-fast lint bench clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: setup $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

run: build
	@bash scripts/run-demo.sh $(BUILD)/greenlight $(DB) $(LISTEN)

test: build build-asan
	@python3 scripts/run-tests.py $(BUILD) $(ASAN_BUILD)

# Plain build only, without the static analyser: the quick loop while developing.
test-fast: build
	@python3 scripts/run-tests.py --skip-suite lint $(BUILD)

# The static analyser alone (clang-tidy over src/, .clang-tidy; part of make test).
lint: build
	@python3 scripts/run-tests.py $(BUILD) --only-suite lint

bench: build
	@bash scripts/setup.sh --bench
	@bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
