.PHONY: setup test test-unit quality format bench bench-math bench-sandbox demo

PY ?= python

setup:
	bash .ci/setup.sh

test:
	$(PY) -m pytest tests

test-unit:
	$(PY) -m pytest tests/unit

quality:
	ruff check . && ruff format --check .

format:
	ruff check --fix . && ruff format .

bench: bench-math bench-sandbox

bench-math:
	$(PY) -m bench.bench_math

bench-sandbox:
	$(PY) -m bench.bench_sandbox

demo:
	$(PY) -m alignment.demo
