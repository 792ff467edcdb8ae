# Two commands on a fresh machine: `make run` (try the bot locally, no Slack needed) and
# `make test` (set up and run every check). Both create .venv from constraints.txt first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench eval docker-check clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/httpcode shell

test: $(STAMP)
	$(BIN)/ruff check bot tests benchmarks scripts
	$(BIN)/ruff format --check bot tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/httpcode kb check
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests benchmarks scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

eval: $(STAMP)
	$(BIN)/python ../shared/eval/score.py ../shared/eval/questions.yml --cmd '$(BIN)/httpcode ask --json --batch'

# No Docker engine here: replay the Dockerfile's install and start-up steps instead (needs PyPI).
docker-check: $(STAMP)
	$(BIN)/python scripts/replay_dockerfile.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
