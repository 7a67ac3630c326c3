# The two commands a new user runs: `make test` and `make run`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
AZURITE_VERSION ?= 3.37.0
TOOLS := .tools
RENDERER := $(TOOLS)/renderer
RENDERER_FILES := $(addprefix shared/preview/renderer/,package.json package-lock.json .npmrc)

.PHONY: test lint typecheck unit run bench clean preview chromium renderer screenshots

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

# The storage tests run against Azurite, which they start themselves from .tools/; the preview
# tests drive Debian's Chromium with Microsoft's renderer.
unit: $(VENV)/.installed $(TOOLS)/node_modules/.bin/azurite renderer chromium
	$(PY) -m pytest

# The card previews' renderer: Microsoft's npm packages, pinned by the lock file (the first preview
# would install them the same way; shared/preview/install.py).
renderer: $(RENDERER)/node_modules/.installed

$(RENDERER)/node_modules/.installed: $(RENDERER_FILES)
	mkdir -p $(RENDERER)
	cp $(RENDERER_FILES) $(RENDERER)/
	cd $(RENDERER) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Debian's Chromium for the previews (and a colour emoji font: the cards use emoji). Installed when
# missing if we are root (CI on a fresh machine); otherwise say how.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
		else \
			echo "Chromium is missing: sudo apt-get install chromium fonts-noto-color-emoji"; exit 1; \
		fi; }

# Every shipped template with its sample data, both themes, into previews/ (ignored by git); the
# docs' pictures (docs/images/templates/) are made from the same renders.
preview: $(VENV)/.installed renderer chromium
	$(PY) -m shared.preview.gallery previews docs/images/templates

# The configuration page's pictures (docs/connect-light.png, docs/connect-dark.png, 1280x800): the
# page served by the app's own functions on loopback, with Azurite and the Teams stand-in.
screenshots: $(VENV)/.installed $(TOOLS)/node_modules/.bin/azurite chromium
	$(PY) -m devtools.connect_page docs

$(TOOLS)/node_modules/.bin/azurite:
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: installing Node.js and npm with apt-get"; apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent azurite@$(AZURITE_VERSION)

run: $(VENV)/.installed
	@command -v func >/dev/null 2>&1 || { echo "func (Azure Functions Core Tools 4) is missing: install it with 'npm install -g azure-functions-core-tools@4' or see https://learn.microsoft.com/azure/azure-functions/functions-run-local"; exit 1; }
	@$(MAKE) --no-print-directory $(TOOLS)/node_modules/.bin/azurite
	@$(PY) -m devtools.local_settings
	@mkdir -p .azurite
	$(TOOLS)/node_modules/.bin/azurite --silent --disableTelemetry --skipApiVersionCheck \
		--blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
		--location .azurite & echo $$! > .azurite/pid
	. $(VENV)/bin/activate && func start; status=$$?; kill $$(cat .azurite/pid) 2>/dev/null; exit $$status

bench: $(VENV)/.installed
	$(PY) -m bench.render
	$(PY) -m bench.delivery
	$(PY) -m bench.outgoing
	$(PY) -m bench.coldstart
	$(PY) -m bench.preview
	$(PY) -m bench.heavy

clean:
	rm -rf $(VENV) $(TOOLS) .azurite .mypy_cache .ruff_cache .pytest_cache
