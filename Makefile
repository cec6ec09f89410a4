# guidelab: two commands on a fresh machine with python3 and make:
#   make demo   - create .venv, install, simulate the sample data, run the report, print its path
#   make test   - unit tests, statistical checks, and every experiment notebook on the committed sample
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
GL     := $(VENV)/bin/guidelab
STAMP  := $(VENV)/.installed
DEMO_EXPERIMENT := onboarding-tour-vs-checklist

.PHONY: install demo test test-fast lab sample bench publish clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(GL) simulate experiments/$(DEMO_EXPERIMENT).yaml --users 20000 --seed 7 --out data/demo/$(DEMO_EXPERIMENT)
	$(GL) report experiments/$(DEMO_EXPERIMENT).yaml --data data/demo/$(DEMO_EXPERIMENT) --out reports

test: $(STAMP)
	bash scripts/ensure-browser
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not notebook and not slow"

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

# Regenerate the committed sample (deterministic: same seed, same data).
sample: $(STAMP)
	$(GL) simulate experiments/onboarding-tour-vs-checklist.yaml --users 12000 --seed 1 --out data/sample/onboarding-tour-vs-checklist
	$(GL) simulate experiments/maintenance-banner-copy.yaml --users 5000 --seed 2 --format csv --out data/sample/maintenance-banner-copy
	$(GL) simulate experiments/nps-survey-timing.yaml --users 2500 --seed 3 --out data/sample/nps-survey-timing

publish: $(STAMP)
	$(GL) publish --jobs 2

bench: $(STAMP)
	$(PY) bench/bench_assignment.py

clean:
	rm -rf $(VENV) reports/*.html reports/*.ipynb reports/*.json data/demo
