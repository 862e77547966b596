# `make run` and `make test` do everything on a fresh machine: create .venv, install, run.
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

# No network at run time: models come from installed packages.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
# Prefect's embedded API keeps its SQLite database here, not in the user's home.
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: install run test bench soak lint clean

install: $(INSTALLED)

# torch first, pinned: it resolves to the CPU wheel on these machines (see README).
$(INSTALLED): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

run: install
	$(VENV)/bin/curate run recipes/demo.yaml
	$(VENV)/bin/curate search published/demo-corpus "a storm knocked out the coastal fog signal" -k 3

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) bench/run_all.py $(BENCH_ARGS)

# Five minutes of mixed valid and invalid requests against `curate serve` (not part of CI).
soak: install
	$(PY) bench/soak.py --minutes 5

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf published .pytest_cache
