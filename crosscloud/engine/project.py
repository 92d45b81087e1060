"""Find the Pulumi project, its program, its stack files and its policy packs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crosscloud.declaration import ConfigIssue, DeclarationError, bounded_yaml
from crosscloud.policies import pack_folders

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


def shipped_packs() -> list[Path]:
    """The packs crosscloud ships (`crosscloud.policies.pack_folders()`: the package data of an installed crosscloud,
    or the checkout's policies/ folder): what checks a project that has no policies/ folder of its own."""
    return [p.resolve() for p in pack_folders()]


def read_yaml_file(path: Path) -> Any:
    """A small YAML file (Pulumi.yaml, PulumiPolicy.yaml) within the stack file's bounds (size, depth, aliases,
    duplicate keys), or a one-line DeclarationError."""
    name = str(path)
    try:
        if path.stat().st_size > bounded_yaml.MAX_FILE_BYTES:
            raise DeclarationError([ConfigIssue(name, "-", f"larger than {bounded_yaml.MAX_FILE_BYTES // 1024} KiB")])
        text = path.read_bytes().decode("utf-8")
        return bounded_yaml.load(text, bounded_yaml.CoreSchemaLoader) or {}
    except UnicodeDecodeError as exc:
        raise DeclarationError([ConfigIssue(name, "-", f"not UTF-8 text (byte {exc.start})")]) from None
    except OSError as exc:
        raise DeclarationError([ConfigIssue(name, "-", f"cannot read: {exc.strerror}")]) from None
    except bounded_yaml.YamlLimitError as exc:
        raise DeclarationError([ConfigIssue(name, "-", str(exc))]) from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise DeclarationError([ConfigIssue(name, "-", f"malformed YAML: {problem}")]) from None


def find_project(start: Path) -> Project:
    """The project whose Pulumi.yaml is in `start` or its nearest parent."""
    here = start.resolve()
    for folder in (here, *here.parents):
        manifest = folder / "Pulumi.yaml"
        if manifest.is_file():
            return _read_manifest(manifest)
    raise DeclarationError([ConfigIssue(str(start), "-", "no Pulumi.yaml here or in any parent folder")])


def _read_manifest(manifest: Path) -> Project:
    data = read_yaml_file(manifest)
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
    if runtime_name is not None and runtime_name != "python":
        raise DeclarationError(
            [
                ConfigIssue.given(
                    str(manifest),
                    "runtime",
                    runtime_name,
                    "is an unsupported runtime: the offline engine runs Python programs only",
                    "python",
                )
            ]
        )
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
