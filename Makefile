# crosscloud developer entry points. A fresh machine needs only python3 (3.11+), make and git:
# uv is bootstrapped into ~/.local by scripts/ensure-uv, and uv installs everything else from uv.lock.
UV := $(shell sh scripts/ensure-uv)
RUN := $(UV) run --frozen

.PHONY: preview preview-prod test lint typecheck ci clean packs

.venv/.synced: pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

## The main job: offline preview of the dev stack on both clouds, with policy results.
preview: .venv/.synced
	$(RUN) crosscloud preview dev

preview-prod: .venv/.synced
	$(RUN) crosscloud preview prod

## Self-contained copies of the policy packs (rules and catalog vendored) for `pulumi policy publish`: dist/packs/<pack>.
packs: .venv/.synced
	$(RUN) python -m policies.build

## The test suite (the same command CI runs).
test: .venv/.synced
	$(RUN) pytest

lint: .venv/.synced
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: .venv/.synced
	$(RUN) mypy

ci: lint typecheck test

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
