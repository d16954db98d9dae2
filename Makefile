# Two commands on a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app lti_tool
HOST ?= 127.0.0.1
PORT ?= 5000
STAMP = $(VENV)/.installed
TEST_WORKERS ?= 2
MAIL_PORT ?= 8025
DEMO_MAIL = MAIL_SERVER=127.0.0.1 MAIL_PORT=$(MAIL_PORT) MAIL_DEFAULT_SENDER=parcours@demo.localhost

.PHONY: run test lint install translations messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -d lti_tool/translations >/dev/null

install: $(STAMP) translations

run: install
	DEMO_PLATFORM=1 LTI_ALLOW_HTTP_PLATFORMS=1 PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) db upgrade
	DEMO_PLATFORM=1 LTI_ALLOW_HTTP_PLATFORMS=1 PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) lti keys ensure
	DEMO_PLATFORM=1 LTI_ALLOW_HTTP_PLATFORMS=1 PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) lti-demo setup --second-registration
	DEMO_PLATFORM=1 LTI_ALLOW_HTTP_PLATFORMS=1 PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) lti-demo seed
	@echo ""
	@echo "  Demo platform: http://$(HOST):$(PORT)/demo/   (launch as a learner or an instructor)"
	@echo ""
	@# Beside the web app: the grades worker, the messages worker and a local SMTP sink (e-mails at /demo/mail).
	DEMO_PLATFORM=1 LTI_ALLOW_HTTP_PLATFORMS=1 PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) lti grades deliver --loop & \
	  worker=$$!; \
	  DEMO_PLATFORM=1 $(FLASK) lti-demo mail-sink --port $(MAIL_PORT) & sink=$$!; \
	  DEMO_PLATFORM=1 LTI_ALLOW_HTTP_PLATFORMS=1 PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(DEMO_MAIL) $(FLASK) lti notify --loop & \
	  notifier=$$!; trap "kill $$worker $$sink $$notifier 2>/dev/null" EXIT INT TERM; \
	  DEMO_PLATFORM=1 LTI_ALLOW_HTTP_PLATFORMS=1 PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(DEMO_MAIL) $(FLASK) run --host $(HOST) --port $(PORT) --with-threads

# Ruff and the import contracts (pyproject.toml) before the tests: CI runs `make test`, so they gate every change.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install lint
	@# The browser tests drive Debian's Chromium (test tools cannot download browsers here): install it if we can.
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; } || \
	  echo "Chromium is not installed: the end-to-end browser tests will be skipped (CI installs it)."
	@# Two processes (the machine's two cores): each has its own app, live server, SQLite file and PostgreSQL schema.
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/launch.py

clean:
	rm -rf $(VENV) *.egg-info

# After changing user-facing text: refresh the catalog, translate the new entries in fr/messages.po.
# (--ignore-dirs: Babel skips folders starting with "_" such as templates/_macros unless told otherwise.)
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs='.*' -o lti_tool/translations/messages.pot .
	$(BIN)/pybabel update -i lti_tool/translations/messages.pot -d lti_tool/translations --no-fuzzy-matching
