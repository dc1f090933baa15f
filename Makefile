# Two entry points: `make demo` (a simulated community on the embedded SQLite default) and `make test`.
# Each creates the virtual environment it needs in .venv from nothing but Python 3.11 and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/townsquare demo --seed 1

lint: $(BIN)/.installed
	$(BIN)/ruff check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .mypy_cache *.egg-info townsquare.db townsquare.db-wal townsquare.db-shm \
		townsquare-demo.db townsquare-demo.db-wal townsquare-demo.db-shm townsquare-demo.toml \
		townsquare-demo-chart.png
