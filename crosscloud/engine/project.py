"""Find the Pulumi project, its program, its stack files and its policy packs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crosscloud.declaration import ConfigIssue, DeclarationError

POLICY_PACK_FILE = "PulumiPolicy.yaml"


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    program: Path
    runtime: str = "python"
    description: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # the `config:` block of Pulumi.yaml, as written

    def stack_file(self, stack: str) -> Path:
        return self.root / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in self.root.glob("Pulumi.*.yaml"))

    def policy_packs(self) -> list[Path]:
        """Every folder under policies/ that holds a PulumiPolicy.yaml, as `--policy-pack` would name it."""
        return sorted(p.parent for p in (self.root / "policies").glob(f"*/{POLICY_PACK_FILE}"))


def find_project(start: Path) -> Project:
    """The project whose Pulumi.yaml is in `start` or its nearest parent."""
    here = start.resolve()
    for folder in (here, *here.parents):
        manifest = folder / "Pulumi.yaml"
        if manifest.is_file():
            return _read_manifest(manifest)
    raise DeclarationError([ConfigIssue(str(start), "-", "no Pulumi.yaml here or in any parent folder")])


def _read_manifest(manifest: Path) -> Project:
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DeclarationError([ConfigIssue(str(manifest), "-", f"cannot read: {exc}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise DeclarationError([ConfigIssue(str(manifest), "name", "a Pulumi.yaml needs a project name")])
    main = data.get("main", ".")
    program = (manifest.parent / str(main)).resolve()
    if program.is_dir():
        program = program / "__main__.py"
    if not program.is_file():
        raise DeclarationError([ConfigIssue(str(manifest), "main", f"{main!r}: program {program} not found")])
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise DeclarationError([ConfigIssue(str(manifest), "config", "must be a mapping of config keys")])
    description = data.get("description")
    return Project(
        root=manifest.parent.resolve(),
        name=data["name"],
        program=program,
        runtime=str(runtime_name or "python"),
        description=str(description) if description is not None else None,
        config={str(k): v for k, v in config.items()},
    )
