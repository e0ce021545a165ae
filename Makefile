# MicroMax: the two commands of the Quickstart are `make run` and `make test`.
# Everything else here is what they are made of.

SHELL := /bin/bash
PYTHON := /usr/bin/python3
# CI=true turns warnings into errors.
WERROR := $(if $(filter true 1 yes,$(CI)),ON,OFF)
JOBS ?= $(shell nproc)

.PHONY: all bootstrap build build-asan run test test-unit test-functional test-asan bench clean

all: build

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	@cmake --preset dev -DMMX_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset dev -j $(JOBS)
	@echo "built build/bin/micromax"

build-asan: bootstrap
	@cmake --preset asan -DMMX_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset asan -j $(JOBS)

# Starts every service in one process on http://127.0.0.1:8000 with the embedded
# defaults (data under .mmx-data/) and, on first start, the demo data (users, catalog,
# 90 days of orders; MMX_DEMO_DATA=false skips it); Ctrl-C drains and stops it.
run: build
	@MMX_ENV=$${MMX_ENV:-local} MMX_LOG_FORMAT=$${MMX_LOG_FORMAT:-text} \
	  MMX_DEMO_DATA=$${MMX_DEMO_DATA:-true} \
	  exec build/bin/micromax --listen $${MMX_LISTEN:-127.0.0.1:8000}

test: build
	@scripts/run-tests.sh build

test-unit: build
	@ctest --preset dev

test-functional: build
	@$(PYTHON) -m pytest tests/functional -q

# The unit and functional suites again, under AddressSanitizer + UBSan.
test-asan: build-asan
	@scripts/run-tests.sh build-asan

bench:
	@bench/http.sh

clean:
	rm -rf build build-asan build-release
