"""What the warm stack parent imports before the first stack: the provider SDK subpackages the programs name.

A provider SDK loads each subpackage (`pulumi_aws.ec2`, `pulumi_azure_native.network`) on first attribute access,
and loading them is most of a cold stack's time. The programs' source says which they reach (`aws.ec2.Vpc(...)`,
`from pulumi_azure_native import network`), and so do crosscloud's components and platform packages for a program
that imports crosscloud: read (never run), those names give the subpackages to import once in the warm parent, so
even the first stacks start warm. What this misses, the stacks report as they load it (worker.py), and the parent
imports it then.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
from pathlib import Path

SDKS = ("pulumi_aws", "pulumi_azure_native")
_MAX_FILES = 2000
_SKIPPED = frozenset({"__pycache__", ".venv", "venv", "node_modules", "site-packages"})
# The packages of ours that build resources: a program that imports crosscloud reaches their SDK subpackages.
_BUILDERS = ("crosscloud.components", "crosscloud.platform")


def _sources(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*.py")):
        if not _SKIPPED.intersection(path.relative_to(folder).parts):
            files.append(path)
        if len(files) >= _MAX_FILES:
            break
    return files


def _names(tree: ast.AST) -> set[str]:
    """`pulumi_aws.<sub>` / `pulumi_azure_native.<sub>` names that a module's code reaches."""
    aliases: dict[str, str] = {}  # local name -> SDK package
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in SDKS:
                    aliases[alias.asname or root] = alias.name if alias.asname else root
                    if "." in alias.name:
                        found.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in SDKS:
            found.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
            found.add(str(node.module))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            found.add(f"{aliases[node.value.id]}.{node.attr}")
    return found


def _top_level_imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _is_module(name: str) -> bool:
    """A subpackage or module of an SDK (not a class or function re-exported at its top)."""
    parent, _, leaf = name.rpartition(".")
    spec = importlib.util.find_spec(parent) if parent in SDKS else None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return any((Path(d) / leaf).is_dir() or (Path(d) / f"{leaf}.py").is_file() for d in locations)


def predicted_modules(program_dirs: list[Path]) -> list[str]:
    """The SDK subpackages the programs in `program_dirs` reach (with crosscloud's components and platform, where
    they import crosscloud), sorted."""
    found: set[str] = set()
    uses_crosscloud = False
    for folder in dict.fromkeys(program_dirs):
        for path in _sources(folder):
            with contextlib.suppress(OSError, SyntaxError, ValueError, UnicodeDecodeError):
                tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
                found |= _names(tree)
                uses_crosscloud = uses_crosscloud or "crosscloud" in _top_level_imports(tree)
    for package in _BUILDERS if uses_crosscloud else ():
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            for path in _sources(Path(next(iter(spec.submodule_search_locations)))):
                with contextlib.suppress(OSError, SyntaxError, ValueError, UnicodeDecodeError):
                    found |= _names(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return sorted(name for name in found if name.count(".") == 1 and _is_module(name))
