"""The stack declaration: typed, validated against the catalog, knowing no Pulumi resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crosscloud.catalog import load_catalog
from crosscloud.declaration.checks import Declaration, ResolvedEndpoint, check_declaration
from crosscloud.declaration.errors import ConfigIssue, DeclarationError
from crosscloud.declaration.load import parse_config, pulumi_config_map, read_stack_file
from crosscloud.declaration.spec import PlatformSpec


def declaration_from_config(config: dict[str, Any], file: str) -> Declaration:
    """Parse and check a `{"crosscloud:<key>": value}` map (values may be JSON strings, as under the Pulumi CLI)."""
    return check_declaration(parse_config(config, file), load_catalog(), file)


def load_declaration(path: Path) -> Declaration:
    """Parse and check a `Pulumi.<stack>.yaml` file."""
    return declaration_from_config(read_stack_file(path), str(path))


__all__ = [
    "ConfigIssue",
    "Declaration",
    "DeclarationError",
    "PlatformSpec",
    "ResolvedEndpoint",
    "declaration_from_config",
    "load_declaration",
    "pulumi_config_map",
    "read_stack_file",
]
