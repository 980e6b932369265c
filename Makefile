# Fashion-MNIST Lab. Two commands for a fresh Debian machine:
#   make run    install everything, then start the app
#   make test   install everything, then run the linter and the tests
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_RUN := dataset-fashion-mnist python3-venv
APT_TEST := $(APT_RUN) chromium chromium-driver redis-server fonts-nanum  # a Korean font: readable screenshots
# axe-core (npm, with the machine's Node.js) for the accessibility test, kept inside the virtual environment.
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js

.PHONY: run test system system-test venv venv-dev experiments bench lint clean messages locales

# Two glibc heaps for the web process's threads and pyarrow on that heap: a class's memory is given back
# (fmnist_core/memory.py; these must be set before the process starts to hold for every thread).
run: system venv locales
	MALLOC_ARENA_MAX=2 ARROW_DEFAULT_MEMORY_POOL=system \
		$(PY) -m streamlit run streamlit_app.py --server.port $(PORT) --server.headless true

test: system-test venv-dev locales $(AXE)
	$(PY) -m ruff check .
	$(PY) -m pytest -q --durations=20

# Debian packages: installed only when missing, so repeated runs are quick.
system:
	@missing=$$(for p in $(APT_RUN); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

system-test:
	@missing=$$(for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4.14.1

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

experiments: system venv  ## pre-train every experiment page's runs into the cache
	$(PY) -m fmnist_core experiments

bench: system venv
	$(PY) -m fmnist_core bench

lint: venv-dev
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

# Languages (fmnist_core/locale): after changing sentences in the code, `make messages` extracts them and merges
# them into each language's .po (new ones untranslated: tests/core/i18n/test_i18n.py names them until they are translated);
# `make locales` compiles the .po files to .mo (the app also compiles a stale or missing one in memory).
LOCALE := fmnist_core/locale
messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output -k N_ -c Translators: --project "Fashion-MNIST Lab" \
		-o $(LOCALE)/messages.pot .
	$(VENV)/bin/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --no-wrap --ignore-obsolete

locales: venv
	$(VENV)/bin/pybabel compile -d $(LOCALE) -D messages --statistics
