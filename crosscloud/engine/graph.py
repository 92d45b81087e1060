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
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crosscloud.declaration import ConfigIssue, DeclarationError, stack_name_problem
from crosscloud.declaration.input_file import parse_json, read_text
from crosscloud.declaration.names import PULUMI_NAME

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - Pulumi wire signature, not a secret
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - Pulumi wire signature
SECRET_SHOWN = "[secret]"  # noqa: S105 - what is shown in place of a secret
STACK_TYPE = "pulumi:pulumi:Stack"
GRAPH_FORMAT = 2


def conceal(value: Any) -> Any:
    """`value` with the plaintext of every secret replaced by "[secret]", the secret marker kept: what may be
    written to a file or a terminal (Pulumi keeps secrets encrypted at rest)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return {SECRET_SIG_KEY: SECRET_SIG, "value": SECRET_SHOWN}
        return {k: conceal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [conceal(v) for v in value]
    return value


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

    def to_json(self, redactor: Any = None) -> dict[str, Any]:
        """The graph file's content; secret values (wire secrets, config keys marked secret) are concealed, and with
        a `redactor` (crosscloud.engine.redaction) every other copy of a secret's value too (a remediation may have
        taken a secret's marker off)."""
        secret = set(self.secret_keys)
        data = {
            "format": GRAPH_FORMAT,
            "project": self.project,
            "stack": self.stack,
            "config": {k: SECRET_SHOWN if k in secret else v for k, v in self.config.items()},
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
                    "inputs": conceal(r.inputs),
                    "dependencies": r.dependencies,
                    "propertyDependencies": r.property_dependencies,
                    "protect": r.protect,
                    "retainOnDelete": r.retain_on_delete,
                    "ignoreChanges": r.ignore_changes,
                    "deleteBeforeReplace": r.delete_before_replace,
                    "aliases": r.aliases,
                    "customTimeouts": r.custom_timeouts,
                    "additionalSecretOutputs": r.additional_secret_outputs,
                    "outputs": conceal(r.outputs),
                    "computed": r.computed,
                    "remediatedBy": r.remediated_by,
                }
                for r in self.resources
            ],
            "outputs": conceal(self.outputs),
        }
        return redactor.value(data, key_material=False) if redactor else data

    def write(self, path: Path, redactor: Any = None) -> None:
        path.write_text(json.dumps(self.to_json(redactor), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Graph:
        limit = MAX_GRAPH_BYTES
        text = read_text(
            path,
            kind="a graph file",
            limit=limit,
            too_large=f"larger than {limit // 2**20} MiB; not a graph this tool writes",
        )
        return cls.from_json(parse_json(path, text), str(path))

    @classmethod
    def from_json(cls, data: Any, name: str) -> Graph:
        """A graph from its JSON form; any value of the wrong type is a DeclarationError naming its JSON path."""
        return _GraphReader(name).graph(data)


MAX_GRAPH_BYTES = 256 * 2**20
MAX_VALUE_DEPTH = 64  # deeper property values are refused: a pack's protobuf decoder stops at 100 levels
_NUMBER = (int, float)


class _GraphReader:
    """Checks every field of a graph file's JSON and builds the Graph; the first problem is raised with its path."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, path: str, problem: str) -> DeclarationError:
        return DeclarationError([ConfigIssue(self.name, path, problem)])

    def get(
        self, obj: dict[str, Any], key: str, path: str, kind: type | tuple[type, ...], *, required: bool = False
    ) -> Any:
        value = obj.get(key)
        if value is None:
            if required:
                raise self.fail(f"{path}{key}", f"missing; expected {_kind_name(kind)}")
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise self.fail(f"{path}{key}", f"expected {_kind_name(kind)}, got {_json_type(value)}")
        return value

    def strings(self, obj: dict[str, Any], key: str, path: str) -> list[str]:
        items = self.get(obj, key, path, list) or []
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{path}{key}[{i}]", f"expected a string, got {_json_type(item)}")
        return list(items)

    def string_map(self, obj: dict[str, Any], key: str, path: str) -> dict[str, str]:
        items = self.get(obj, key, path, dict) or {}
        for k, v in items.items():
            if not isinstance(v, str):
                raise self.fail(f"{path}{key}.{k}", f"expected a string, got {_json_type(v)}")
        return dict(items)

    def value(self, value: Any, path: str, depth: int = 0) -> None:
        """A property value: JSON (no non-finite number), at most MAX_VALUE_DEPTH levels deep."""
        if depth > MAX_VALUE_DEPTH:
            raise self.fail(path, f"nested more than {MAX_VALUE_DEPTH} levels deep")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(path, "not a finite number")
        if isinstance(value, dict):
            for k, v in value.items():
                self.value(v, f"{path}.{k}", depth + 1)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.value(v, f"{path}[{i}]", depth + 1)

    def graph(self, data: Any) -> Graph:
        if not isinstance(data, dict):
            raise self.fail("-", "a graph file is a JSON object; is this a 'crosscloud synth' graph?")
        for key, kind in (("project", str), ("stack", str), ("config", dict), ("resources", list)):
            if not isinstance(data.get(key), kind):
                raise self.fail(key, f"missing or not {_kind_name(kind)}; is this a 'crosscloud synth' graph?")
        problem = stack_name_problem(data["stack"])
        if problem:  # the stack name is part of every URN the packs see
            raise self.fail("stack", f"{data['stack']!r} {problem}")
        if not PULUMI_NAME.fullmatch(data["project"]):
            raise self.fail("project", f"{data['project']!r} is not a valid project name (letters, digits, - _ .)")
        config = self.string_map(data, "config", "")
        outputs = self.get(data, "outputs", "", dict) or {}
        self.value(outputs, "outputs")
        resources = [self.resource(raw, f"resources[{i}]") for i, raw in enumerate(data["resources"])]
        return Graph(
            data["project"],
            data["stack"],
            config,
            resources,
            dict(outputs),
            tags=self.string_map(data, "tags", ""),
            secret_keys=self.strings(data, "secretKeys", ""),
            notes=self.strings(data, "notes", ""),
        )

    def resource(self, raw: Any, where: str) -> Resource:
        if not isinstance(raw, dict):
            raise self.fail(where, f"expected an object, got {_json_type(raw)}")
        path = f"{where}."
        for key in ("urn", "type", "name"):
            self.get(raw, key, path, str, required=True)
        inputs = self.get(raw, "inputs", path, dict, required=True)
        self.value(inputs, f"{path}inputs")
        outputs = self.get(raw, "outputs", path, dict)
        if outputs is not None:
            self.value(outputs, f"{path}outputs")
        raw_dependencies = self.get(raw, "propertyDependencies", path, dict) or {}
        property_dependencies = {
            key: self.strings(raw_dependencies, key, f"{path}propertyDependencies.") for key in raw_dependencies
        }
        timeouts = self.get(raw, "customTimeouts", path, dict) or {}
        for key, seconds in timeouts.items():
            if not isinstance(seconds, _NUMBER) or isinstance(seconds, bool) or not math.isfinite(seconds):
                raise self.fail(
                    f"{path}customTimeouts.{key}", f"expected a number of seconds, got {_json_type(seconds)}"
                )
        custom = self.get(raw, "custom", path, bool)
        return Resource(
            urn=raw["urn"],
            type=raw["type"],
            name=raw["name"],
            parent=self.get(raw, "parent", path, str),
            provider=self.get(raw, "provider", path, str),
            custom=True if custom is None else custom,
            inputs=inputs,
            dependencies=self.strings(raw, "dependencies", path),
            property_dependencies=property_dependencies,
            protect=bool(self.get(raw, "protect", path, bool)),
            retain_on_delete=bool(self.get(raw, "retainOnDelete", path, bool)),
            ignore_changes=self.strings(raw, "ignoreChanges", path),
            delete_before_replace=self.get(raw, "deleteBeforeReplace", path, bool),
            aliases=self.strings(raw, "aliases", path),
            custom_timeouts={str(k): float(v) for k, v in timeouts.items()},
            additional_secret_outputs=self.strings(raw, "additionalSecretOutputs", path),
            outputs=dict(outputs) if outputs is not None else None,
            computed=self.strings(raw, "computed", path),
            remediated_by=self.strings(raw, "remediatedBy", path),
        )


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", dict: "an object", list: "an array", bool: "true or false", int: "a number"}
    return " or ".join(names.get(k, k.__name__) for k in _kinds(kind))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


NOTE_NAMES = 10  # resources a note names before "and N more"


def name_some(urns: list[str]) -> str:
    """The resources' names for a note, sorted: at most NOTE_NAMES, then a count (a large estate would print
    thousands; the graph file marks every one)."""
    named = sorted(urn.split("::")[-1] for urn in urns)
    names = ", ".join(named[:NOTE_NAMES])
    if len(named) > NOTE_NAMES:
        names += f" and {len(named) - NOTE_NAMES} more"
    return names
