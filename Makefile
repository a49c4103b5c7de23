# One target per stage. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sendlib-installed
JOBS ?= 2
# Extra arguments for `make lab` (e.g. LAB_ARGS="--port 8890 --no-browser"); as root, --allow-root is added.
LAB_ARGS ?=

.PHONY: help setup data reproduce report reports test lab clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv, install sendlib with pinned dependencies, register the `sendlib` Jupyter kernel

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name sendlib --display-name "Python (sendlib)"
	touch $(STAMP)

data: setup ## Get the raw files (mirror or download, sha256-checked) and build data/processed
	$(PY) -m sendlib data

reproduce: setup ## Everything: data, every analysis notebook and council profile, the index (JOBS=2)
	$(PY) -m sendlib reproduce --jobs $(JOBS)

report: setup ## One council's profile: make report LA=Camden (code, ONS code or name)
	@if [ -z "$(LA)" ]; then echo "usage: make report LA=<council code or name>, e.g. make report LA=Camden" >&2; exit 2; fi
	$(PY) -m sendlib report --la "$(LA)"

reports: setup ## Every council's profile, JOBS at a time (JOBS=2)
	$(PY) -m sendlib report --all --jobs $(JOBS)

test: setup ## Run the tests and every notebook with nbval, in 2 processes (data-dependent ones skip, with a reason, without data)
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder tests notebooks --nbval-lax

lab: setup ## Open JupyterLab on notebooks/ with the `sendlib` kernel (LAB_ARGS="..." passes options; root adds --allow-root)
	$(PY) -m jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean: ## Remove processed tables and reports (raw files are kept)
	rm -rf reports data/processed/*.parquet data/processed/*.json
