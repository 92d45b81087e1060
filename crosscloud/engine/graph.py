"""The resource graph of one preview, as recorded from RegisterResource requests.

`inputs` are the wire-format properties exactly as the engine hands them to a policy pack (camelCase names).
A value a provider computes is the Pulumi wire sentinel UNKNOWN; a secret is the wire secret object
(`{SECRET_SIG_KEY: SECRET_SIG, "value": ...}`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosscloud.declaration import ConfigIssue, DeclarationError

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - Pulumi wire signature, not a secret
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - Pulumi wire signature
GRAPH_FORMAT = 1


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)

    @property
    def cloud(self) -> str:
        """aws, azure or pulumi/crosscloud (component and stack resources), from the type token's package."""
        package = self.type.split(":")[0]
        if package == "pulumi" and self.type.startswith("pulumi:providers:"):
            package = self.type.removeprefix("pulumi:providers:")
        return {"aws": "aws", "azure-native": "azure"}.get(package, package)


@dataclass
class Graph:
    project: str
    stack: str
    config: dict[str, str]
    resources: list[Resource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": GRAPH_FORMAT,
            "project": self.project,
            "stack": self.stack,
            "config": self.config,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "provider": r.provider,
                    "custom": r.custom,
                    "inputs": r.inputs,
                    "dependencies": r.dependencies,
                    "propertyDependencies": r.property_dependencies,
                    "protect": r.protect,
                    "retainOnDelete": r.retain_on_delete,
                    "ignoreChanges": r.ignore_changes,
                }
                for r in self.resources
            ],
            "outputs": self.outputs,
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Graph:
        name = str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DeclarationError([ConfigIssue(name, "-", "file not found")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DeclarationError([ConfigIssue(name, "-", f"cannot read file: {exc}")]) from None
        except json.JSONDecodeError as exc:
            raise DeclarationError([ConfigIssue(name, f"line {exc.lineno}", f"malformed JSON: {exc.msg}")]) from None
        return cls.from_json(data, name)

    @classmethod
    def from_json(cls, data: Any, name: str) -> Graph:
        def fail(path: str, problem: str) -> DeclarationError:
            return DeclarationError([ConfigIssue(name, path, problem)])

        if not isinstance(data, dict):
            raise fail("-", "a graph file is a JSON object")
        for key, kind in (("project", str), ("stack", str), ("config", dict), ("resources", list)):
            if not isinstance(data.get(key), kind):
                raise fail(key, f"missing or not a {kind.__name__}; is this a 'crosscloud synth' graph?")
        resources = []
        for i, raw in enumerate(data["resources"]):
            if not isinstance(raw, dict):
                raise fail(f"resources[{i}]", "must be an object")
            for key, kind in (("urn", str), ("type", str), ("name", str), ("inputs", dict)):
                if not isinstance(raw.get(key), kind):
                    raise fail(f"resources[{i}].{key}", f"missing or not a {kind.__name__}")
            resources.append(
                Resource(
                    urn=raw["urn"],
                    type=raw["type"],
                    name=raw["name"],
                    parent=raw.get("parent"),
                    provider=raw.get("provider"),
                    custom=bool(raw.get("custom", True)),
                    inputs=raw["inputs"],
                    dependencies=list(raw.get("dependencies") or []),
                    property_dependencies=dict(raw.get("propertyDependencies") or {}),
                    protect=bool(raw.get("protect", False)),
                    retain_on_delete=bool(raw.get("retainOnDelete", False)),
                    ignore_changes=list(raw.get("ignoreChanges") or []),
                )
            )
        config = {str(k): str(v) for k, v in data["config"].items()}
        return cls(data["project"], data["stack"], config, resources, dict(data.get("outputs") or {}))
