# The two README commands. Both work on a fresh clone with nothing installed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck typing-tests pytest docs bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local,cli]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/awskit demo

test: $(STAMP) lint typecheck typing-tests pytest docs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check awskit tests bench

typecheck: $(STAMP)
	$(BIN)/mypy --strict awskit

typing-tests: $(STAMP)
	$(BIN)/mypy --strict tests/typing
	$(BIN)/pyright tests/typing

pytest: $(STAMP)
	$(BIN)/coverage run -m pytest -q -p no:cacheprovider
	$(BIN)/coverage report

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,local,cli,bench]'
	# dsnap pins urllib3 < 2, which botocore no longer needs; its own code runs fine beside it.
	$(BIN)/python -m pip install --quiet --no-deps dsnap
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .coverage site
