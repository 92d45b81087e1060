"""The stack declaration: typed, validated against the catalog, knowing no Pulumi resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crosscloud.catalog import load_catalog
from crosscloud.declaration.checks import Declaration, ResolvedEndpoint, check_declaration
from crosscloud.declaration.errors import ConfigIssue, DeclarationError, printable
from crosscloud.declaration.load import parse_config, pulumi_config_map, read_stack_file
from crosscloud.declaration.names import check_names, stack_name_problem
from crosscloud.declaration.spec import PlatformSpec


def declaration_from_config(
    config: dict[str, Any], file: str, *, project: str | None = None, stack: str | None = None
) -> Declaration:
    """Parse and check a `{"crosscloud:<key>": value}` map (values may be JSON strings, as under the Pulumi CLI);
    with `project` and `stack`, also every name the stack would generate."""
    spec = parse_config(config, file, stack)
    if project is not None and stack is not None:
        issues = check_names(project, stack, spec, file)
        if issues:
            raise DeclarationError(issues)
    return check_declaration(spec, load_catalog(), file)


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
    "printable",
    "pulumi_config_map",
    "read_stack_file",
    "stack_name_problem",
]
