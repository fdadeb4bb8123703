# The two set-up commands: `make run` and `make test`. Only python3 (3.11+) and make are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/sellerkit serve

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1; } || \
	  echo "wrk is not installed: the HTTP benchmarks will say SKIPPED"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache bench/.data
