# One command runs the portal, one runs the tests (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install system-packages run test lock audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Debian packages the PDF reports need (run as root, once): pango for WeasyPrint, a font,
# and poppler-utils (pdftotext, pdftoppm) for the report tests and screenshots.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
system-packages:
	apt-get install --yes --quiet $(PDF_PACKAGES) || { apt-get update --quiet && apt-get install --yes --quiet $(PDF_PACKAGES); }

# Migrate, bootstrap the demo (idempotent) and run web, Celery worker and beat together
# until Ctrl-C. Without DATABASE_URL/REDIS_URL everything is embedded: SQLite and a
# filesystem broker under var/.
run: export DJANGO_SETTINGS_MODULE ?= loanportal.settings.local
run: install
	mkdir -p var/celery-broker/processed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py bootstrap_demo
	@echo "Portal: http://127.0.0.1:$(PORT)/   admin: http://127.0.0.1:$(PORT)/admin/   API docs: http://127.0.0.1:$(PORT)/api/docs/"
	@bash -c 'trap "kill 0" EXIT; \
		$(BIN)/gunicorn loanportal.wsgi -c loanportal/gunicorn.conf.py --bind 127.0.0.1:$(PORT) & \
		$(BIN)/celery -A loanportal worker --concurrency 1 --loglevel INFO & \
		$(BIN)/celery -A loanportal beat --loglevel INFO & \
		wait -n'

# Static checks (lint, formatting, types, bandit's security scan) then the test suite.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive .
	$(BIN)/pytest

# Re-pin requirements*.txt from requirements*.in (needs pip-tools).
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

# Check the pinned dependencies against the PyPI advisory database (needs internet access,
# so it is not part of CI; run it before each release and when an advisory is announced).
audit: install
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --requirement requirements.txt --requirement requirements-dev.txt
