"""Which stacks a fleet run checks: every `Pulumi.<stack>.yaml` of the projects named, or the stacks a manifest lists.

A folder with a `Pulumi.yaml` is a project; a folder without one stands for every project below it (hidden folders,
virtual environments and build output skipped). A manifest (YAML or JSON) lists projects, relative to itself:

    stacks:
      - project: teams/payments          # every Pulumi.<stack>.yaml of the project
      - project: teams/search
        stacks: [dev, prod]              # only these
      - project: teams/search
        stack: eu-prod
        config_file: envs/eu-prod.yaml   # a stack file other than Pulumi.<stack>.yaml (relative to the project)
        weight: 400                      # how heavy it is, for --shard (default: the stack file's size in bytes)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crosscloud.declaration import ConfigIssue, DeclarationError
from crosscloud.engine.project import read_yaml_file

_SKIPPED = frozenset({"node_modules", "venv", "__pycache__", "dist", "build", "site-packages"})
_MAX_DEPTH = 8
_ENTRY_KEYS = frozenset({"project", "stack", "stacks", "config_file", "weight"})


@dataclass(frozen=True)
class FleetStack:
    """One stack of the fleet. `label` names it in every report: the stack name for the project in the fleet's root
    folder, else `<project folder>:<stack>` with the folder relative to the root."""

    project_dir: Path  # absolute
    folder: str  # the project folder relative to the fleet's root ("." for the root), or absolute outside it
    stack: str
    config_file: Path | None = None
    weight: int = 1

    @property
    def label(self) -> str:
        return self.stack if self.folder == "." else f"{self.folder}:{self.stack}"

    @property
    def stack_file(self) -> Path:
        return self.config_file or self.project_dir / f"Pulumi.{self.stack}.yaml"

    @property
    def key(self) -> tuple[str, str]:
        return (self.folder, self.stack)


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root` as a POSIX path ("." for the root itself), or absolute when it lies outside."""
    resolved, base = path.resolve(), root.resolve()
    if not resolved.is_relative_to(base):
        return resolved.as_posix()
    return resolved.relative_to(base).as_posix() or "."


def _size(path: Path) -> int:
    try:
        return max(1, path.stat().st_size)
    except OSError:
        return 1


def project_folders(folder: Path) -> list[Path]:
    """`folder` if it holds a Pulumi.yaml, else every folder below it that does (sorted)."""
    if (folder / "Pulumi.yaml").is_file():
        return [folder.resolve()]
    found: list[Path] = []
    base_depth = len(folder.resolve().parts)
    for current, dirs, files in os.walk(folder.resolve()):
        depth = len(Path(current).parts) - base_depth
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED and depth < _MAX_DEPTH)
        if "Pulumi.yaml" in files:
            found.append(Path(current))
            dirs[:] = []  # a project's own folders hold no other project
    return sorted(found)


def project_stacks(project_dir: Path, root: Path) -> list[FleetStack]:
    folder = relative(project_dir, root)
    return [
        FleetStack(project_dir, folder, path.name.removeprefix("Pulumi.").removesuffix(".yaml"), weight=_size(path))
        for path in sorted(project_dir.glob("Pulumi.*.yaml"))
    ]


def from_folders(folders: list[Path], root: Path) -> list[FleetStack]:
    stacks: list[FleetStack] = []
    for folder in folders:
        if not folder.is_dir():
            raise DeclarationError([ConfigIssue(str(folder), "-", "is not a folder")])
        projects = project_folders(folder)
        if not projects:
            raise DeclarationError([ConfigIssue(str(folder), "-", "no Pulumi.yaml in this folder or below it")])
        for project_dir in projects:
            stacks.extend(project_stacks(project_dir, root))
    return stacks


def from_manifest(manifest: Path, root: Path) -> list[FleetStack]:
    data = read_yaml_file(manifest)
    name = str(manifest)
    entries = data.get("stacks") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DeclarationError([ConfigIssue(name, "stacks", "must be a non-empty list of {project, stack?, ...}")])
    issues: list[ConfigIssue] = []
    stacks: list[FleetStack] = []
    base = manifest.resolve().parent
    for i, entry in enumerate(entries):
        where = f"stacks[{i}]"
        if not isinstance(entry, dict):
            issues.append(ConfigIssue(name, where, "must be a mapping with a `project` folder"))
            continue
        unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
        if unknown:
            issues.append(
                ConfigIssue(name, f"{where}.{unknown[0]}", "is not a manifest key", ", ".join(sorted(_ENTRY_KEYS)))
            )
            continue
        problem = _entry(entry, base, root, name, where, stacks)
        if problem is not None:
            issues.append(problem)
    if issues:
        raise DeclarationError(issues)
    return stacks


def _entry(
    entry: dict[str, Any], base: Path, root: Path, name: str, where: str, stacks: list[FleetStack]
) -> ConfigIssue | None:
    project = entry.get("project")
    if not isinstance(project, str) or not project:
        return ConfigIssue(name, f"{where}.project", "must be a project folder (relative to the manifest)")
    project_dir = (base / project).resolve()
    if not (project_dir / "Pulumi.yaml").is_file():
        return ConfigIssue(name, f"{where}.project", f"{project!r}: no Pulumi.yaml in {project_dir}")
    weight = entry.get("weight")
    if weight is not None and (not isinstance(weight, int) or isinstance(weight, bool) or not 0 < weight < 10**9):
        return ConfigIssue(name, f"{where}.weight", "must be a positive integer")
    one, many = entry.get("stack"), entry.get("stacks")
    if one is not None and many is not None:
        return ConfigIssue(name, where, "give `stack` or `stacks`, not both")
    config_file = entry.get("config_file")
    if config_file is not None and (one is None or not isinstance(config_file, str) or not config_file):
        return ConfigIssue(name, f"{where}.config_file", "a stack file path, only beside a single `stack`")
    if many is not None and not (isinstance(many, list) and many and all(isinstance(s, str) and s for s in many)):
        return ConfigIssue(name, f"{where}.stacks", "must be a non-empty list of stack names")
    if one is not None and not (isinstance(one, str) and one):
        return ConfigIssue(name, f"{where}.stack", "must be a stack name")
    folder = relative(project_dir, root)
    if one is None and many is None:
        found = project_stacks(project_dir, root)
        stacks.extend(FleetStack(s.project_dir, s.folder, s.stack, weight=weight or s.weight) for s in found)
        return None
    for stack in [one] if one is not None else list(many or []):
        file = (project_dir / config_file).resolve() if config_file else None
        size = _size(file or project_dir / f"Pulumi.{stack}.yaml")
        stacks.append(FleetStack(project_dir, folder, str(stack), file, weight or size))
    return None


def discover(folders: list[Path], manifest: Path | None, root: Path) -> list[FleetStack]:
    """The fleet, sorted by folder and stack; a stack named twice is an error."""
    stacks = from_manifest(manifest, root) if manifest is not None else []
    if folders or manifest is None:
        stacks += from_folders(folders or [Path(".")], root)
    seen: dict[tuple[str, str], FleetStack] = {}
    issues = []
    for stack in stacks:
        if stack.key in seen:
            issues.append(ConfigIssue(stack.label, "-", "is named twice in the fleet"))
        seen[stack.key] = stack
    if issues:
        raise DeclarationError(issues)
    if not seen:
        raise DeclarationError([ConfigIssue(str(folders[0] if folders else manifest), "-", "no stacks found")])
    return sorted(seen.values(), key=lambda s: s.key)
