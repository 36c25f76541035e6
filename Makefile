# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT := out

.PHONY: demo test fuzz spark-scale bench quality screenshots lock clean help

help:
	@echo "make demo   - set up, run ingest -> analyze -> report on examples/corpus, print the report path"
	@echo "make test   - set up if needed, run the test suite"
	@echo "make fuzz   - the fuzz tests (ingest readers, JSON API, pages) with a long budget (NARRATRACE_FUZZ=1)"
	@echo "make spark-scale - 5,000 generated articles through every stage on both engines (47 min on 2 shared cores; NARRATRACE_SPARK_SCALE=1)"
	@echo "make quality - evaluate every component on ../shared/data, regenerate docs/quality.md"
	@echo "make screenshots - regenerate docs/screenshots/*.png (the web app's and the report's pictures, headless chromium)"
	@echo "make bench  - benchmarks: republication, claims, web, techniques (bench/*.py; see bench/README.md)"

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p $(OUT)
	rm -f $(OUT)/demo.db $(OUT)/demo.db-wal $(OUT)/demo.db-shm
	$(BIN)/narratrace ingest examples/corpus --db $(OUT)/demo.db
	$(BIN)/narratrace factchecks import examples/factchecks.jsonld --db $(OUT)/demo.db
	$(BIN)/narratrace analyze --db $(OUT)/demo.db
	$(BIN)/narratrace export --db $(OUT)/demo.db -o $(OUT)/demo.json
	$(BIN)/narratrace report --db $(OUT)/demo.db -o $(OUT)/report.html --title "narratrace demo: examples/corpus"

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The fuzz tests run in `make test` too, with a small fixed budget; here with many more examples, randomised.
fuzz: $(STAMP)
	NARRATRACE_FUZZ=1 $(BIN)/python -m pytest -q -p no:logging tests/test_ingest_fuzz.py tests/test_web_fuzz.py

# Outside `make test` (CI): both engines on 5,000 generated articles, every stage (tests/test_spark_scale.py).
spark-scale: $(STAMP)
	NARRATRACE_SPARK_SCALE=1 $(BIN)/python -m pytest -q -s tests/test_spark_scale.py

bench: $(STAMP)
	$(BIN)/python bench/republication.py
	$(BIN)/python bench/claims.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/narratives.py
	$(BIN)/python bench/techniques.py
	$(BIN)/python bench/framing.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/scale.py

screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py --out docs/screenshots

quality: $(STAMP)
	$(BIN)/narratrace quality --data-root ../shared/data --out docs/quality.md

# Re-pin every dependency after changing pyproject.toml (needs the network to PyPI).
lock:
	rm -rf /tmp/narratrace-lock && $(PYTHON) -m venv /tmp/narratrace-lock
	/tmp/narratrace-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/narratrace-lock/bin/pip freeze --exclude-editable | grep -v '^narratrace' > requirements.lock

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
