.PHONY: setup setup-sandbox check test test-unit quality format bench bench-math bench-sandbox bench-fidelity bench-code-gen bench-cli bench-grpo bench-grpo-smollm2 demo

PY ?= python

setup:
	bash .ci/setup.sh

setup-sandbox:
	bash .ci/setup.sh --sandbox

# The README's two commands.
demo: setup
	$(PY) -m alignment.demo

check: setup-sandbox
	$(PY) -m pytest tests

test:
	$(PY) -m pytest tests

test-unit:
	$(PY) -m pytest tests/unit

quality:
	ruff check . && ruff format --check .

format:
	ruff check --fix . && ruff format .

bench: bench-math bench-sandbox bench-fidelity bench-code-gen bench-cli bench-grpo

bench-math:
	$(PY) -m bench.bench_math

bench-sandbox:
	$(PY) -m bench.bench_sandbox

bench-fidelity:
	$(PY) -m bench.fidelity --backends bwrap docker --repeats 3 --hog

bench-code-gen:
	$(PY) -m bench.code_gen_report

bench-cli:
	$(PY) -m bench.bench_cli

bench-grpo:
	$(PY) -m bench.bench_grpo

bench-grpo-smollm2:
	$(PY) -m bench.bench_grpo --recipe smollm2 --steps 5 --rounds 1
