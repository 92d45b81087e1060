"""Shared fixtures: the repository as a project, the catalog, and helpers to write stack files and graphs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosscloud.catalog import Catalog, load_catalog
from crosscloud.engine.project import Project, find_project

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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
