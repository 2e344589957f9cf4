# The two README commands. Both work on a fresh clone with nothing installed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# `make test` checks two environments. .venv has the newest boto3 and no aiobotocore: the
# whole sync suite runs there (tests/aio skips itself). .venv-aio has the `aio` extra, and
# aiobotocore pins botocore to an older window, so boto3 resolves older there: it runs the
# aio tests (AWSKIT_REQUIRE_AIO makes a missing aiobotocore an error, not a skip), the aio
# typing tests, and mypy on awskit against the real aiobotocore stubs; not the sync suite
# again, which keeps `make test` under 10 minutes on 2 cores.
AIO_VENV  := .venv-aio
AIO_BIN   := $(AIO_VENV)/bin
AIO_STAMP := $(AIO_VENV)/.installed
# bench-aio: aioboto3 pins an aiobotocore older than the `aio` extra allows, so it gets a
# venv of its own; bench/aio.py runs it as a child process (bench/_aioboto3_peer.py).
AIOBOTO3_VENV  := .venv-aioboto3
AIOBOTO3_STAMP := $(AIOBOTO3_VENV)/.installed
AIO_TYPING  := $(wildcard tests/typing/aio_*.py)
SYNC_TYPING := $(filter-out $(AIO_TYPING),$(wildcard tests/typing/*.py))

.PHONY: demo test lint typecheck typing-tests pytest docs bench bench-aio clean aio-test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local,cli]'
	touch $(STAMP)

$(AIO_STAMP): pyproject.toml
	test -x $(AIO_BIN)/python || $(PYTHON) -m venv $(AIO_VENV)
	$(AIO_BIN)/python -m pip install --quiet --upgrade pip
	$(AIO_BIN)/python -m pip install --quiet -e '.[dev,local,cli,aio]'
	touch $(AIO_STAMP)

demo: $(STAMP)
	$(BIN)/awskit demo

test: $(STAMP) lint typecheck typing-tests pytest docs aio-test

aio-test: $(AIO_STAMP)
	$(AIO_BIN)/mypy --strict awskit
	$(AIO_BIN)/mypy --strict $(AIO_TYPING)
	$(AIO_BIN)/pyright --pythonpath $(AIO_BIN)/python $(AIO_TYPING)
	# Both cores, a test file per worker, as pytest does below.
	AWSKIT_REQUIRE_AIO=1 COVERAGE_FILE=.coverage-aio $(AIO_BIN)/python -m pytest -q \
		-p no:cacheprovider -n 2 --dist loadfile tests/aio \
		--cov=awskit --cov-branch --cov-report= --cov-fail-under=0
	$(AIO_BIN)/coverage report --data-file=.coverage-aio --include='awskit/aio/*' --fail-under=80

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check awskit tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy --strict awskit

typing-tests: $(STAMP)
	$(BIN)/mypy --strict $(SYNC_TYPING)
	$(BIN)/pyright $(SYNC_TYPING)

pytest: $(STAMP)
	# Two workers, one per core, each test file on one worker (its moto server and fixtures
	# stay together): the suite takes half the time. pytest-cov follows the workers, which
	# coverage alone does not; the floor is checked on the report below, where awskit/aio
	# (measured by aio-test, where its tests run: left out here, not skipped) is omitted.
	$(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/aio -n 2 --dist loadfile \
		--cov=awskit --cov-branch --cov-report= --cov-fail-under=0
	$(BIN)/coverage report --omit='awskit/aio/*'

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,local,cli,bench]'
	# dsnap pins urllib3 < 2, which botocore no longer needs; its own code runs fine beside it.
	$(BIN)/python -m pip install --quiet --no-deps dsnap
	$(BIN)/python -m bench --skip aio
	$(MAKE) bench-aio

$(AIOBOTO3_STAMP):
	test -x $(AIOBOTO3_VENV)/bin/python || $(PYTHON) -m venv $(AIOBOTO3_VENV)
	$(AIOBOTO3_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AIOBOTO3_VENV)/bin/python -m pip install --quiet aioboto3
	touch $(AIOBOTO3_STAMP)

# asyncio rows: awskit.aio and aiodynamo in .venv-aio, aioboto3 from its own venv.
bench-aio: $(AIO_STAMP) $(AIOBOTO3_STAMP)
	$(AIO_BIN)/python -m pip install --quiet 'aiodynamo[aiohttp]'
	AWSKIT_BENCH_AIOBOTO3_PYTHON=$(AIOBOTO3_VENV)/bin/python $(AIO_BIN)/python -m bench --only aio

clean:
	rm -rf $(VENV) $(AIO_VENV) $(AIOBOTO3_VENV) .mypy_cache .ruff_cache .coverage .coverage-aio site
