# The two commands a new user runs: `make test` and `make run`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
AZURITE_VERSION ?= 3.37.0
TOOLS := .tools

.PHONY: test lint typecheck unit run bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

test: lint typecheck unit

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.installed
	$(PY) -m mypy
	$(PY) -m mypy --python-version 3.12

unit: $(VENV)/.installed
	$(PY) -m pytest

$(TOOLS)/node_modules/.bin/azurite:
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent azurite@$(AZURITE_VERSION)

run: $(VENV)/.installed
	@command -v func >/dev/null 2>&1 || { echo "func (Azure Functions Core Tools 4) is missing: install it with 'npm install -g azure-functions-core-tools@4' or see https://learn.microsoft.com/azure/azure-functions/functions-run-local"; exit 1; }
	@$(MAKE) --no-print-directory $(TOOLS)/node_modules/.bin/azurite
	@test -f local.settings.json || cp local.settings.example.json local.settings.json
	@mkdir -p .azurite
	$(TOOLS)/node_modules/.bin/azurite --silent --disableTelemetry --skipApiVersionCheck \
		--blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
		--location .azurite & echo $$! > .azurite/pid
	. $(VENV)/bin/activate && func start; status=$$?; kill $$(cat .azurite/pid) 2>/dev/null; exit $$status

bench: $(VENV)/.installed
	$(PY) bench/render.py
	$(PY) bench/delivery.py
	$(PY) bench/outgoing.py
	$(PY) bench/coldstart.py
	$(PY) -m bench.heavy

clean:
	rm -rf $(VENV) $(TOOLS) .azurite .mypy_cache .ruff_cache .pytest_cache
