# crosscloud developer entry points. A fresh machine needs only python3 (3.11+), make and git:
# uv is bootstrapped into ~/.local by scripts/ensure-uv, and uv installs everything else from uv.lock.
UV := $(shell sh scripts/ensure-uv)
# `.venv/.synced` syncs the environment (once, and again when pyproject.toml or uv.lock change); every other target
# runs in it without syncing again. An implicit sync on each `uv run` re-compiled the whole environment's bytecode
# ("Bytecode compiled 11678 files", 1-2.5 s) on every make target.
RUN := $(UV) run --frozen --no-sync

.PHONY: preview preview-prod cli test lint typecheck ci clean packs bench bench-fleet

# Every installed module is compiled to bytecode once, here: where .pyc files are not written at run time
# (PYTHONDONTWRITEBYTECODE=1, common in CI images), ~840 modules were otherwise recompiled on every run.
.venv/.synced: pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --quiet
	.venv/bin/python -m compileall -q crosscloud policies stacks
	@touch $@

## The main job: offline preview of the dev stack on both clouds, with policy results.
preview: .venv/.synced
	$(RUN) crosscloud preview dev

preview-prod: .venv/.synced
	$(RUN) crosscloud preview prod

## Any crosscloud command: make cli ARGS="check prod --format markdown" (or run .venv/bin/crosscloud directly).
cli: .venv/.synced
	$(RUN) crosscloud $(ARGS)

## Self-contained copies of the policy packs (rules and catalog vendored) for `pulumi policy publish`: dist/packs/<pack>.
packs: .venv/.synced
	$(RUN) python -m crosscloud.policies.build

## The test suite (the same command CI runs).
test: .venv/.synced
	$(RUN) pytest

## Preview at scale against the bare SDK floor (one JSON line per size); BENCH_MAX=2000 for a quicker run.
bench: .venv/.synced
	$(RUN) python benchmarks/preview_scale.py --max-resources $(or $(BENCH_MAX),10000)

## `crosscloud fleet check` against one `crosscloud preview` per stack (a JSON line per fleet size); FLEET_MAX=10 for a quicker run.
bench-fleet: .venv/.synced
	$(RUN) python benchmarks/fleet_scale.py --max-stacks $(or $(FLEET_MAX),50)

lint: .venv/.synced
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: .venv/.synced
	$(RUN) mypy

ci: lint typecheck test

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
