# pairs_platform: `make demo` runs the whole graph on the embedded default; `make test` runs the tests.
# Everything installs into ./.venv; state lives under ./.dagster_home (Dagster) and ./.data (Parquet
# store, SQL ledger, MLflow store). No server, no network, no account.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export PAIRS_DATA_DIR := $(CURDIR)/.data
export MLFLOW_DISABLE_TELEMETRY ?= true
# Dagster writes the asset events of a ranged step in batches (one transaction each; dagster.yaml).
export DAGSTER_EVENT_BATCH_SIZE ?= 10000
STAMP := $(VENV)/.installed-$(shell cat setup.py Makefile | cksum | cut -d' ' -f1)

.PHONY: install demo demo-intraday filter-evidence test test-ib-legacy deploy-test compose-config ui mlflow-ui validate bench clean serve

$(STAMP): setup.py Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,celery,ib]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

# The demo's partitions span the bundled data only, so the UI shows them filled (docs/ui.md).
DEMO_PARTITIONS := PAIRS_PARTITIONS_START=2015-01-02 PAIRS_PARTITIONS_END=2022-12-28

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(DEMO_PARTITIONS) $(BIN)/python -m pairs_platform.defs.demo

# A few sessions of synthetic 5-minute bars end to end: bars, z-scores, backtest, paper orders.
demo-intraday: install
	$(BIN)/python -m pairs_platform.intraday_demo

# The entry filters against their placebos (50 label permutations, 200 time shifts) on the real-data
# pairs of the last demo run; minutes of CPU, so not part of the demo.
filter-evidence: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster asset materialize -m pairs_platform.defs --select filter_placebos

# Under CI=true this includes the compose check and the deploy test (pairs_platform_tests/deploy).
test: install
	$(BIN)/python -m pytest -q pairs_platform_tests

# The ib_insync fallback: the fake-gateway tests with the adapter forced onto ib_insync
# (PAIRS_IB_LIBRARY=ib_insync). ib_insync needs `eventkit`, ib_async needs `aeventkit`, and both
# install a module named `eventkit`, so they never share an environment: .venv-ib-legacy holds the
# requirements of the `ib-legacy` extra (read from the installed project's metadata: setup.py stays
# the one source) and sees the rest of .venv through a .pth hook placed after its own site-packages
# (its eventkit wins; nothing else is installed twice), so it builds in seconds. `.ci/run` runs it
# after `make test`; locally on demand.
IB_LEGACY := .venv-ib-legacy
IB_LEGACY_STAMP := $(IB_LEGACY)/.installed-$(shell cat setup.py Makefile | cksum | cut -d' ' -f1)

$(IB_LEGACY_STAMP): setup.py Makefile | install
	rm -rf $(IB_LEGACY)
	$(BIN)/python -m venv --without-pip $(IB_LEGACY)
	$(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" > $(IB_LEGACY)/base-site
	$(BIN)/python -c "from importlib.metadata import requires; \
		print('\n'.join(r.split(';')[0] for r in requires('pairs_platform') if 'extra == \"ib-legacy\"' in r))" \
		> $(IB_LEGACY)/requirements.txt
	$(IB_LEGACY)/bin/python -c "import pathlib, sysconfig; base = pathlib.Path('$(IB_LEGACY)/base-site').read_text().strip(); \
		pathlib.Path(sysconfig.get_paths()['purelib'], 'zz-base-venv.pth').write_text(f'import site; site.addsitedir({base!r})\n')"
	$(IB_LEGACY)/bin/python -m pip install -q -r $(IB_LEGACY)/requirements.txt
	touch $@

test-ib-legacy: $(IB_LEGACY_STAMP)
	PAIRS_IB_LIBRARY=ib_insync $(IB_LEGACY)/bin/python -m pytest -q -p no:cacheprovider \
		pairs_platform_tests/execution/test_ib_*.py pairs_platform_tests/execution/test_live_guard.py \
		pairs_platform_tests/data/test_ib_source.py

# The production topology as native processes on loopback (PostgreSQL, RabbitMQ, MLflow server,
# gRPC code server, webserver, daemon, two Celery workers): docs/deploy.md.
deploy-test: install
	PAIRS_DEPLOY_TEST=1 $(BIN)/python -m pytest -q -s pairs_platform_tests/deploy

# docker/docker-compose.yml as Compose resolves it (offline: nothing is pulled or built).
compose-config: install
	$(BIN)/python -m pytest -q pairs_platform_tests/deploy/test_compose.py

validate: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster definitions validate -w workspace.yaml

ui: install $(DAGSTER_HOME)/dagster.yaml
	@echo "Dagster UI: http://127.0.0.1:3000   MLflow UI: run 'make mlflow-ui' in another shell (http://127.0.0.1:5000)"
	$(DEMO_PARTITIONS) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# The desk (API, dashboard, /metrics) on http://127.0.0.1:8080 over the demo's ledger and store; runs the
# demo first if it never ran here.
serve: install $(DAGSTER_HOME)/dagster.yaml
	test -f $(PAIRS_DATA_DIR)/ledger.db || $(MAKE) demo
	$(BIN)/python -m pairs_platform.api

mlflow-ui: install
	mkdir -p $(PAIRS_DATA_DIR)/mlflow
	$(BIN)/mlflow ui --host 127.0.0.1 --port 5000 \
		--backend-store-uri sqlite:///$(PAIRS_DATA_DIR)/mlflow/mlflow.db \
		--default-artifact-root $(PAIRS_DATA_DIR)/mlflow/artifacts

# vectorbt (the backtest benchmark's reference) lives in its own venv: Commons Clause licence.
.venv-bench/bin/python:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install -q vectorbt

bench: install .venv-bench/bin/python
	$(BIN)/python benchmarks/bench_cointegration.py
	$(BIN)/python benchmarks/bench_backtest.py

clean:
	rm -rf $(DAGSTER_HOME) $(PAIRS_DATA_DIR)
