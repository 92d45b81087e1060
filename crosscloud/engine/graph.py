"""The resource graph of one preview, as recorded from RegisterResource requests.

`inputs` are the wire-format properties exactly as the engine hands them to a policy pack (camelCase names).
A value a provider computes is the Pulumi wire sentinel UNKNOWN; a secret is the wire secret object
(`{SECRET_SIG_KEY: SECRET_SIG, "value": ...}`).

`AnalyzeStack` sees outputs, not inputs: a component's and the Stack's `outputs` are what they registered
(`register_outputs`, stack exports); a custom resource's are its inputs plus every output the provider computes
(`computed`), unknown at preview.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crosscloud.declaration import ConfigIssue, DeclarationError

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - Pulumi wire signature, not a secret
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - Pulumi wire signature
STACK_TYPE = "pulumi:pulumi:Stack"
GRAPH_FORMAT = 2


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
    delete_before_replace: bool | None = None  # None: the program did not set it
    aliases: list[str] = field(default_factory=list)  # alias URNs the program declared
    custom_timeouts: dict[str, float] = field(default_factory=dict)  # seconds per operation, as the engine parses
    additional_secret_outputs: list[str] = field(default_factory=list)
    outputs: dict[str, Any] | None = None  # components and the Stack: what they registered as outputs
    computed: list[str] = field(default_factory=list)  # custom resources: outputs only the provider knows
    remediated_by: list[str] = field(default_factory=list)  # "<pack>/<policy>" that rewrote `inputs`, in order

    @property
    def cloud(self) -> str:
        """aws, azure or pulumi/crosscloud (component and stack resources), from the type token's package."""
        package = self.type.split(":")[0]
        if package == "pulumi" and self.type.startswith("pulumi:providers:"):
            package = self.type.removeprefix("pulumi:providers:")
        return {"aws": "aws", "azure-native": "azure"}.get(package, package)

    def stack_properties(self) -> dict[str, Any]:
        """What AnalyzeStack receives for this resource at preview: its outputs."""
        if not self.custom:
            return dict(self.outputs or {})
        properties = dict(self.inputs)
        for key in self.computed:
            properties.setdefault(key, UNKNOWN)
        return properties


@dataclass
class Graph:
    project: str
    stack: str
    config: dict[str, str]
    resources: list[Resource]
    outputs: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # stack tags the engine sends in ConfigureStack
    secret_keys: list[str] = field(default_factory=list)  # `secure:` config the offline path could not decrypt
    notes: list[str] = field(default_factory=list)  # what this offline run could not know

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    @property
    def stack_urn(self) -> str:
        for r in self.resources:
            if r.type == STACK_TYPE and r.parent is None:
                return r.urn
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def copy(self) -> Graph:
        """A copy a policy check may change: every resource and list is new; input and output values are shared,
        because a remediation replaces `inputs` with a new dict and never edits one (a deep copy of a large graph
        cost more than the whole check of it)."""
        resources = [
            replace(
                r,
                dependencies=list(r.dependencies),
                property_dependencies={k: list(v) for k, v in r.property_dependencies.items()},
                ignore_changes=list(r.ignore_changes),
                aliases=list(r.aliases),
                custom_timeouts=dict(r.custom_timeouts),
                additional_secret_outputs=list(r.additional_secret_outputs),
                computed=list(r.computed),
                remediated_by=list(r.remediated_by),
            )
            for r in self.resources
        ]
        return replace(
            self,
            config=dict(self.config),
            resources=resources,
            outputs=dict(self.outputs),
            tags=dict(self.tags),
            secret_keys=list(self.secret_keys),
            notes=list(self.notes),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": GRAPH_FORMAT,
            "project": self.project,
            "stack": self.stack,
            "config": self.config,
            "secretKeys": self.secret_keys,
            "tags": self.tags,
            "notes": self.notes,
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
                    "deleteBeforeReplace": r.delete_before_replace,
                    "aliases": r.aliases,
                    "customTimeouts": r.custom_timeouts,
                    "additionalSecretOutputs": r.additional_secret_outputs,
                    "outputs": r.outputs,
                    "computed": r.computed,
                    "remediatedBy": r.remediated_by,
                }
                for r in self.resources
            ],
            "outputs": self.outputs,
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Graph:
        name = str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DeclarationError([ConfigIssue(name, "-", "file not found")]) from None
        except OSError as exc:
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
            dbr = raw.get("deleteBeforeReplace")
            outputs = raw.get("outputs")
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
                    delete_before_replace=None if dbr is None else bool(dbr),
                    aliases=[str(a) for a in raw.get("aliases") or []],
                    custom_timeouts={str(k): float(v) for k, v in (raw.get("customTimeouts") or {}).items()},
                    additional_secret_outputs=[str(a) for a in raw.get("additionalSecretOutputs") or []],
                    outputs=dict(outputs) if isinstance(outputs, dict) else None,
                    computed=[str(c) for c in raw.get("computed") or []],
                    remediated_by=[str(c) for c in raw.get("remediatedBy") or []],
                )
            )
        config = {str(k): str(v) for k, v in data["config"].items()}
        return cls(
            data["project"],
            data["stack"],
            config,
            resources,
            dict(data.get("outputs") or {}),
            tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            secret_keys=[str(k) for k in data.get("secretKeys") or []],
            notes=[str(n) for n in data.get("notes") or []],
        )
