# kgx: `make demo` runs the main job on the local Neo4j; `make test` runs the tests.
# Both install what is missing first (a .venv keyed on pyproject.toml; pip's and Maven's
# caches make a second install fast).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SHARED ?= ../shared/data
PYTEST_ARGS ?=

.PHONY: install demo test lint bench neo4j-start neo4j-stop clean

$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "java (17+) is required for the local Neo4j"; exit 1; }
	@command -v mvn >/dev/null || { echo "mvn is required to fetch Neo4j's jars"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

neo4j-start: install
	$(BIN)/kgx neo4j start

neo4j-stop:
	-$(BIN)/kgx neo4j stop

demo: install
	$(BIN)/kgx neo4j start
	$(BIN)/kgx init
	$(BIN)/kgx load wikidata tests/data/dump-head-2017.json
	$(BIN)/kgx stats
	@echo
	@echo "Try these named queries (kgx query --list shows all):"
	@echo "  $(BIN)/kgx query coverage_by_language -p langs=en,de,ja,zh"
	@echo "  $(BIN)/kgx query entity_names -p id=Q1 -p lang=de"
	@echo "  $(BIN)/kgx query entities_missing_name -p lang=ja -p limit=5"
	@echo "  $(BIN)/kgx query run_history"
	@echo "Stop the server with: $(BIN)/kgx neo4j stop"

test: install
	KGX_SHARED_DATA=$(SHARED) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check kgx tests bench
	$(BIN)/mypy kgx

clean:
	rm -rf .kgx-test .pytest_cache
