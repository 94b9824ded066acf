# Upstream Atlas: `make demo` runs the service on http://127.0.0.1:8000; `make test` runs every check.
# Both install what is missing on a fresh Debian 12 machine (system packages only when root).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := postgresql-15-postgis-3
APT_TEST_PACKAGES := chromium gdal-bin postgresql-contrib wrk

.PHONY: demo test deps deps-test venv db setup serve lint typecheck pytest bench clean

demo: deps venv setup serve

test: deps deps-test venv db lint typecheck pytest

deps:
	@./scripts/apt-ensure.sh $(APT_PACKAGES)

deps-test:
	@./scripts/apt-ensure.sh $(APT_TEST_PACKAGES)

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

db: venv
	$(BIN)/atlas db migrate

setup: venv
	$(BIN)/atlas setup

serve: venv
	$(BIN)/atlas serve

lint: venv
	$(BIN)/ruff check geo layers service tests $(wildcard bench)

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/pytest

clean:
	-$(BIN)/atlas db stop
	rm -rf .atlas $(VENV)
