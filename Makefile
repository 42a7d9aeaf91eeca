# kehu 客户 — the two commands:
#   make run    install, migrate, load demo data (empty database only), start web + worker
#   make test   install, run the tests on SQLite, then again on PostgreSQL when it is reachable
#   make clean  remove .venv, node_modules, instance (the local database!) and copied vendor files
#   make bench-quick  the benchmark suite's quick mode (bench/README.md): fails when a goal is missed
#
# Re-installs happen only when their inputs change (stamp files in .venv and node_modules).

SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
VENV_PY := $(VENV)/bin/python
KEHU := $(VENV)/bin/kehu
INSTALL_STAMP := $(VENV)/.kehu-install-stamp
NPM_STAMP := node_modules/.kehu-npm-stamp

VENDOR := core/web/static/vendor/swagger-ui
SWAGGER_FILES := swagger-ui-bundle.js swagger-ui.css swagger-ui-standalone-preset.js
VENDOR_FILES := $(addprefix $(VENDOR)/,$(SWAGGER_FILES))
# Web UI assets from npm, copied to core/web/static/vendor/<package>/ (not committed)
UI_VENDOR := core/web/static/vendor
UI_VENDOR_FILES := $(UI_VENDOR)/bootstrap/bootstrap.min.css $(UI_VENDOR)/bootstrap/bootstrap.bundle.min.js \
	$(UI_VENDOR)/htmx/htmx.min.js $(UI_VENDOR)/echarts/echarts.min.js $(UI_VENDOR)/sortablejs/Sortable.min.js

# make run: the instance folder (SQLite database, broker, generated secrets). Must be absolute.
KEHU_INSTANCE_PATH ?= $(CURDIR)/instance
# extra options for `kehu run`, e.g. make run RUN_ARGS="--port 8000"
RUN_ARGS ?=
# make test: the PostgreSQL server for the second run (each run creates and drops its own database)
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=
# The example third-party plugin: pip-installed from its own pyproject into a folder (not the venv),
# then its own tests run against that installed copy (python -P: not the source folder) on each database.
EXAMPLE_PLUGIN := examples/kehu-plugin-delivery
EXAMPLE_SITE := build/example-plugins
EXAMPLE_PYTEST = PYTHONPATH=$(CURDIR)/$(EXAMPLE_SITE) $(CURDIR)/$(VENV_PY) -P -m pytest -q

.PHONY: run test install clean translations bench-quick

# UI translations: Chinese is the source language; English lives in core/translations/en.
# The compiled .mo is committed (a fresh clone and a wheel work without a build step) and
# rebuilt here whenever its .po is newer; tests/web/test_i18n.py checks they agree.
PYBABEL := $(VENV)/bin/pybabel
CATALOGUES := core/translations/en/LC_MESSAGES/messages.mo

run: install
	KEHU_INSTANCE_PATH="$(KEHU_INSTANCE_PATH)" $(KEHU) db upgrade
	KEHU_INSTANCE_PATH="$(KEHU_INSTANCE_PATH)" $(KEHU) demo
	KEHU_INSTANCE_PATH="$(KEHU_INSTANCE_PATH)" exec $(KEHU) run $(RUN_ARGS)

test: install
	rm -rf $(EXAMPLE_SITE) $(EXAMPLE_PLUGIN)/build $(EXAMPLE_PLUGIN)/*.egg-info
	$(VENV_PY) -m pip install --quiet --no-deps --no-build-isolation --target $(EXAMPLE_SITE) ./$(EXAMPLE_PLUGIN)
	@failed=0; \
	echo "== pytest on SQLite"; \
	env -u KEHU_TEST_DATABASE_URL $(VENV_PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; failed=1; \
		if [ $$rc -eq 5 ]; then echo "FAILED: pytest collected no tests (exit code 5)"; \
		else echo "FAILED: pytest on SQLite (exit code $$rc)"; fi; }; \
	echo "== example plugin $(EXAMPLE_PLUGIN) on SQLite"; \
	(cd $(EXAMPLE_PLUGIN) && env -u KEHU_TEST_DATABASE_URL $(EXAMPLE_PYTEST)) || { failed=1; \
		echo "FAILED: example plugin tests on SQLite"; }; \
	if reason=$$($(VENV_PY) -c "$$PG_PROBE" "$(PG_TEST_URL)" 2>&1); then \
		echo "== pytest on PostgreSQL ($(PG_TEST_URL))"; \
		KEHU_TEST_DATABASE_URL="$(PG_TEST_URL)" $(VENV_PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; failed=1; \
			if [ $$rc -eq 5 ]; then echo "FAILED: pytest collected no tests (exit code 5)"; \
			else echo "FAILED: pytest on PostgreSQL (exit code $$rc)"; fi; }; \
		echo "== example plugin $(EXAMPLE_PLUGIN) on PostgreSQL"; \
		(cd $(EXAMPLE_PLUGIN) && KEHU_TEST_DATABASE_URL="$(PG_TEST_URL)" $(EXAMPLE_PYTEST)) || { failed=1; \
			echo "FAILED: example plugin tests on PostgreSQL"; }; \
	else \
		echo "SKIPPED PostgreSQL run: $$reason"; \
	fi; \
	exit $$failed

# 1k and 10k customers on SQLite, about a minute: write path, plugin overhead, memory, and list and
# dashboard scaling (10k over 1k); exit code 1 with a line per missed goal.
bench-quick: install
	$(VENV_PY) bench/run.py --quick

# Prints why PostgreSQL is unusable (and exits 1), or exits 0 when a connection works.
define PG_PROBE_SCRIPT
import sys
from sqlalchemy.engine import make_url
try:
    import psycopg
except ImportError as exc:
    sys.exit(f"psycopg is not installed ({exc})")
url = make_url(sys.argv[1])
try:
    psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                    password=url.password, dbname=url.database, connect_timeout=3).close()
except Exception as exc:
    sys.exit(f"cannot connect to {url.render_as_string()}: {str(exc).strip().splitlines()[0]}")
endef
export PG_PROBE := $(PG_PROBE_SCRIPT)

install: $(INSTALL_STAMP) $(VENDOR_FILES) $(UI_VENDOR_FILES) $(CATALOGUES)

$(VENV_PY):
	@test -n "$(PYTHON)" || { echo "kehu needs Python 3.11 (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALL_STAMP): setup.cfg pyproject.toml constraints.txt | $(VENV_PY)
	$(VENV_PY) -m pip install -c constraints.txt -e ".[test]"
	touch $@

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "kehu needs node and npm (for Swagger UI, served locally)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Build products, not committed (.gitignore): the app serves them at /static/vendor/swagger-ui/.
$(VENDOR)/%: $(NPM_STAMP)
	@mkdir -p $(VENDOR)
	cp node_modules/swagger-ui-dist/$* $@

$(UI_VENDOR)/bootstrap/%.css: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/bootstrap/dist/css/$*.css $@

$(UI_VENDOR)/bootstrap/%.js: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/bootstrap/dist/js/$*.js $@

$(UI_VENDOR)/htmx/%: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/htmx.org/dist/$* $@

$(UI_VENDOR)/echarts/%: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/echarts/dist/$* $@

$(UI_VENDOR)/sortablejs/%: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/sortablejs/$* $@

%.mo: %.po | $(INSTALL_STAMP)
	$(PYBABEL) compile -i $< -o $@

# After changing UI strings: re-extract, merge into the catalogues, then translate the new
# entries of core/translations/en/LC_MESSAGES/messages.po and run `make install`.
translations: $(INSTALL_STAMP)
	$(PYBABEL) extract -F babel.cfg -k _l --no-location --sort-output -o core/translations/messages.pot .
	$(PYBABEL) update -i core/translations/messages.pot -d core/translations --no-fuzzy-matching
	$(MAKE) $(CATALOGUES)

clean:
	rm -rf $(VENV) node_modules instance $(VENDOR) $(UI_VENDOR)/bootstrap $(UI_VENDOR)/htmx $(UI_VENDOR)/echarts $(UI_VENDOR)/sortablejs
	@rmdir core/web/static/vendor 2>/dev/null || true
