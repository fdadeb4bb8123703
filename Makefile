# The two set-up commands: `make run` and `make test`. Only python3 (3.11+) and make are needed.
# One venv; `make run` installs what running needs, `make test` adds the test extra (one stamp each).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
KEY_NAME ?= me
KEY_PLAN ?= pro

.PHONY: run key test bench screenshots install clean

# Python writes each module's bytecode on first import unless PYTHONDONTWRITEBYTECODE is set, and some
# machines set it (this one did, 2026-12-07): then every process compiled every module it imported from
# source again, 7.4 s instead of 2.5 s to import the server on a slow 2-core machine, paid by each server,
# worker, CLI call and test subprocess. The caches stay out of git (.gitignore).
unexport PYTHONDONTWRITEBYTECODE

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# --no-compile: byte-compiling every installed module took half of the install's CPU; a test run
# compiles only the modules it imports (once, on first import).
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' --no-compile
	@touch $@

install: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/sellerkit serve

# An API key for the server `make run` starts (same data dir from any directory): make key [KEY_NAME=me] [KEY_PLAN=pro]
key: $(RUN_STAMP)
	$(BIN)/sellerkit keys create --name '$(KEY_NAME)' --plan '$(KEY_PLAN)'

# The suite on every core and one more (pytest-xdist; a file's tests stay on one worker, so its module fixtures
# are built once): many tests wait on servers and subprocesses, and a third worker on 2 cores fills those waits
# (a fresh clone's `.ci/run` on a quiet 2-core machine, 2026-12-07: 9 min 47 s in all, tests 564 s for 4,146 tests; 890 s of
# tests with 2 workers before the suite's own speed-ups; on a 2-core AMD EPYC VM 2.5-4x slower at Python, a fresh clone's
# `make test` without ../shared took 19 min 33 s: 3,557 passed, 649 skipped).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=10

# The README's screenshots (docs/screenshots): the browser tests, writing there rather than to .screenshots/.
screenshots: $(TEST_STAMP)
	SELLERKIT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -q tests/web

bench: $(RUN_STAMP)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1; } || \
	  echo "wrk is not installed: the HTTP benchmarks will say SKIPPED"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache bench/.data .screenshots
