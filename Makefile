# kgx: `make demo` runs the main job on the local Neo4j; `make test` runs the tests.
# Both install what is missing first (a .venv keyed on pyproject.toml; pip's and Maven's
# caches make a second install fast).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SHARED ?= ../shared/data
DEMO_DIR ?= demo-out
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
	mkdir -p $(DEMO_DIR)
	$(BIN)/kgx neo4j start
	$(BIN)/kgx init
	@echo "== load: 49 real Wikidata entities, CoDEx-S, DBP15K zh_en"
	$(BIN)/kgx load wikidata tests/data/dump-head-2017.json
	$(BIN)/kgx load codex $(SHARED)/codex --size s
	$(BIN)/kgx load dbp15k $(SHARED)/dbp15k/zh_en
	$(BIN)/kgx stats
	@echo "== learn: ComplEx on CoDEx-S (a few epochs), alignment of dbp_zh to dbp_en"
	$(BIN)/kgx train --config bench/configs/codex-s-complex.toml --epochs 5 --no-early-stopping --evaluate
	$(BIN)/kgx align --kg1 dbp_zh --kg2 dbp_en --seeds $(SHARED)/dbp15k/zh_en/ref_ent_ids \
	    --seed-fraction 0.3 --rounds 1 --gold $(SHARED)/dbp15k/zh_en/ref_ent_ids
	@echo "== enrich and audit the Wikidata sample"
	$(BIN)/kgx enrich --lang sw,yo,ga --show 10
	$(BIN)/kgx audit --lang ja
	$(BIN)/kgx report --out $(DEMO_DIR)/report
	@echo
	@echo "Report: $(DEMO_DIR)/report/index.html"
	@echo "Try these named queries (kgx query --list shows all):"
	@echo "  $(BIN)/kgx query coverage_by_language -p langs=sw,yo,ga"
	@echo "  $(BIN)/kgx query generated_names -p lang=sw"
	@echo "  $(BIN)/kgx query suspect_names -p lang=ja"
	@echo "  $(BIN)/kgx query alignment_pairs -p kg=dbp_zh -p limit=5"
	@echo "  $(BIN)/kgx query run_history"
	@echo "Undo an enrichment, audit, alignment or prediction with: $(BIN)/kgx runs revert RUN"
	@echo "Stop the server: $(BIN)/kgx neo4j stop"

test: install
	KGX_SHARED_DATA=$(SHARED) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check kgx tests bench
	$(BIN)/mypy kgx tests bench

clean:
	rm -rf .kgx-test .pytest_cache $(DEMO_DIR)
