"""Shared fixtures: the repository as a project, the catalog, and helpers to write stack files and graphs."""

from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosscloud.catalog import Catalog, load_catalog
from crosscloud.engine.project import Project, find_project

CHECKOUT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# What a test may see of the project: the files that ship, never a user's own stack file or leftovers in the checkout.
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "README.md")
PROJECT_FOLDERS = ("stacks", "policies")


def copy_project(target: Path) -> Path:
    """A copy of the shipped project (Pulumi.yaml, the shipped stack files, stacks/, policies/, README.md) in
    `target`; packs in it run with this interpreter (there is no uv project above them)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(CHECKOUT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", ".mypy_cache")
    for name in PROJECT_FOLDERS:
        shutil.copytree(CHECKOUT / name, target / name, ignore=ignore)
    return target


_SESSION_COPY = Path(tempfile.mkdtemp(prefix="crosscloud-tests-"))
atexit.register(shutil.rmtree, _SESSION_COPY, ignore_errors=True)
# Tests run against this copy, so a stray Pulumi.<name>.yaml in the checkout cannot change their outcome.
ROOT = copy_project(_SESSION_COPY / "project")


@pytest.fixture(scope="session")
def project() -> Project:
    return find_project(ROOT)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def stack_config(stack: str = "dev") -> dict[str, Any]:
    """A deep copy of a shipped stack file's `config:` map, to mutate in a test."""
    data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    return copy.deepcopy(data["config"])


@pytest.fixture
def write_stack(tmp_path: Path):
    """Write a stack file from a config map; returns its path."""

    def write(config: dict[str, Any], name: str = "Pulumi.test.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
        return path

    return write
