# AgentGate: `make demo` and `make test` are the two entry points (see README).
SWIFT ?= swift
PREFIX ?= /usr/local
BUILD_FLAGS ?=
CONFIG ?= debug
BIN = $(shell $(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS) --show-bin-path)/agentgate

.PHONY: setup build release test lint format demo bench install deb clean

setup:
	@./scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS)

release:
	$(MAKE) build CONFIG=release

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

test: setup lint
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --no-parallel $(BUILD_FLAGS)

demo: setup
	$(SWIFT) build -c release $(BUILD_FLAGS)
	./scripts/demo.sh "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/agentgate"

# Benchmarks measure what the .deb ships: a release build with the Swift runtime linked statically.
BENCH_FLAGS ?= --static-swift-stdlib
bench: setup
	$(SWIFT) build -c release $(BUILD_FLAGS) $(BENCH_FLAGS)
	./scripts/bench.sh "$$($(SWIFT) build -c release $(BUILD_FLAGS) $(BENCH_FLAGS) --show-bin-path)/agentgate"

clean:
	rm -rf .build

install:
	$(SWIFT) build -c release $(BUILD_FLAGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/agentgate/hooks $(DESTDIR)$(PREFIX)/share/doc/agentgate
	install -m 0755 "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/agentgate" $(DESTDIR)$(PREFIX)/bin/agentgate
	install -m 0755 hooks/* $(DESTDIR)$(PREFIX)/share/agentgate/hooks/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/agentgate/

deb:
	./scripts/build-deb.sh

# The gate on its own history, with the documented fixture allowlist (docs/allowlist.md).
dogfood:
	$(SWIFT) build $(BUILD_FLAGS)
	"$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/agentgate" scan --repo . --all --policy .agentgate.toml --quiet
