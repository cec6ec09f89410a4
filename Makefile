# guidelab: two commands on a fresh machine with python3 and make:
#   make demo   - create .venv, install, simulate the sample data, run the report, print its path
#   make test   - lint (ruff, mypy), unit tests, statistical checks, every experiment notebook on the
#                 committed sample, the wheel in a fresh venv; with a coverage report and its floor
# Installs are pinned by constraints.txt (every package, transitive ones included):
#   make upgrade - re-resolve constraints.txt to the newest releases and run the fast tests on them
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
GL     := $(VENV)/bin/guidelab
STAMP  := $(VENV)/.installed
CONSTRAINTS := constraints.txt
DEMO_EXPERIMENT := onboarding-tour-vs-checklist
# Tests run on every core (pytest-xdist), a test file per worker at a time: the Spark tests (all in
# tests/test_engine.py) share one worker and one JVM. PARALLEL= runs them in one process.
PARALLEL ?= -n auto --dist loadfile

.PHONY: install demo test test-fast lint lab sample bench publish clean upgrade

# The venv is rebuilt when pyproject.toml or the lock changes; pip moves every package to its pin.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	@v=$$($(PY) -c 'import sys; print("python %d.%d" % sys.version_info[:2])'); \
	  grep -q "^# Resolved on: $$v " $(CONSTRAINTS) || echo "note: $(CONSTRAINTS) was resolved on another Python" \
	  "than this $$v (see its header); if the install fails, run make upgrade to resolve it for this one" >&2
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) --upgrade pip
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[test,spark]' || { \
	  echo "install from $(CONSTRAINTS) failed: on a Python or platform it was not resolved for, run make upgrade" >&2; exit 1; }
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(GL) simulate experiments/$(DEMO_EXPERIMENT).yaml --users 20000 --seed 7 --out data/demo/$(DEMO_EXPERIMENT)
	$(GL) report experiments/$(DEMO_EXPERIMENT).yaml --data data/demo/$(DEMO_EXPERIMENT) --out reports

test: $(STAMP) lint
	bash scripts/ensure-browser
	bash scripts/ensure-java
	$(PY) -m pytest $(PARALLEL) --cov --cov-report=term --durations=25

# ruff (lint and import order) and mypy (strict for the paths in pyproject's [tool.mypy] files).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

test-fast: $(STAMP)
	$(PY) -m pytest $(PARALLEL) -m "not notebook and not slow and not wheel and not spark"

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

# Regenerate the committed sample (deterministic: same seed, same data).
sample: $(STAMP)
	$(GL) simulate experiments/onboarding-tour-vs-checklist.yaml --users 12000 --seed 1 --out data/sample/onboarding-tour-vs-checklist
	$(GL) simulate experiments/maintenance-banner-copy.yaml --users 5000 --seed 2 --format csv --out data/sample/maintenance-banner-copy
	$(GL) simulate experiments/nps-survey-timing.yaml --users 2500 --seed 3 --out data/sample/nps-survey-timing
	$(GL) simulate experiments/b2b-onboarding-checklist.yaml --users 4000 --seed 4 --out data/sample/b2b-onboarding-checklist
	$(GL) simulate-programme --experiments experiments --users 20000 --seed 4 --out data/sample/guide-programme

publish: $(STAMP)
	$(GL) publish --jobs 2

bench: $(STAMP)
	$(PY) bench/bench_assignment.py

# Re-resolve the lock: a fresh venv with the newest releases allowed by pyproject.toml, frozen into
# constraints.txt (with a header naming the Python it was resolved on), then the fast tests on it.
upgrade:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --upgrade -e '.[test,spark]'
	{ bash scripts/lock-header $(PY); \
	  $(PY) -m pip freeze --all --exclude-editable | grep -v -i '^\(guidelab\|setuptools\|wheel\|distribute\)\b'; \
	} > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	touch $(STAMP)
	$(PY) -m pytest -q -m "not notebook and not slow and not browser and not wheel and not spark"
	@echo "constraints.txt renewed ($$(grep -vc '^#' $(CONSTRAINTS)) packages): review git diff $(CONSTRAINTS) and commit it"

clean:
	rm -rf $(VENV) reports/*.html reports/*.ipynb reports/*.json data/demo
