"""From component inputs to a checked `Declaration`, with errors that name the input the consumer wrote.

Two ways in, one check (`crosscloud.declaration.declaration_from_config`, the same pydantic models and catalog checks
as `crosscloud preview`):

- `declaration_args()`: the stack's own `crosscloud:*` config, for a Python program that keeps its declaration in
  `Pulumi.<stack>.yaml` (as `stacks/__main__.py` does). Errors name the stack file and `crosscloud:<key>`, exactly as
  crosscloud's CLI does.
- Inputs written in a program (any language, through the component provider): the `args.DeclarationArgs` shape.
  What the wire does to them is undone first (integers arrive as floats, enums as their values, names in the
  schema's camelCase), and errors name the property path as the consumer wrote it (`aws.network.zones`).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, cast

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import rpc

from crosscloud.components.declaration import stack_config
from crosscloud.declaration import ConfigIssue, Declaration, DeclarationError, declaration_from_config
from crosscloud.declaration.errors import quoted
from crosscloud.platform.args import DeclarationArgs

NAMESPACE = "crosscloud"


class DeclarationInputError(pulumi.RunError):
    """The declaration a component was given is invalid: one line per problem, no traceback (a RunError)."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


class StackDeclaration(dict[str, Any]):
    """The stack's `crosscloud:*` config as component inputs (JSON values decoded), remembering where it came from so
    a problem names the stack file and key."""

    def __init__(self, config: dict[str, Any], file: str) -> None:
        super().__init__({k.split(":", 1)[1]: _decoded(v) for k, v in config.items()})
        self.config, self.file = config, file


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def declaration_args() -> DeclarationArgs:
    """The running stack's declaration from its `crosscloud:*` config keys (`Pulumi.<stack>.yaml`); a key set as a
    secret is refused (crosscloud keys hold no secrets)."""
    try:
        config, file = stack_config()
    except DeclarationError as exc:
        raise DeclarationInputError(exc.issues) from None
    return cast(DeclarationArgs, StackDeclaration(config, file))


def check(args: Mapping[str, Any], component: str) -> Declaration:
    """The checked declaration of `args`; a DeclarationInputError naming each problem otherwise.

    `component` ("crosscloud:index:CrossCloudPlatform platform") is where a problem in written inputs is said to be.
    """
    project, stack = pulumi.get_project(), pulumi.get_stack()
    if isinstance(args, StackDeclaration):
        try:
            declaration = declaration_from_config(args.config, args.file, project=project, stack=stack)
        except DeclarationError as exc:
            raise DeclarationInputError(exc.issues) from None
    else:
        issues: list[ConfigIssue] = []
        plain = _plain(dict(args), DeclarationArgs, (), issues, component)
        if issues:
            raise DeclarationInputError(issues)
        config = {f"{NAMESPACE}:{key}": value for key, value in plain.items()}
        try:
            declaration = declaration_from_config(config, component, project=project, stack=stack)
        except DeclarationError as exc:
            raise DeclarationInputError([_as_input(issue, component) for issue in exc.issues]) from None
        _same_residency(declaration, component)
    for note in declaration.notes:  # e.g. a model retiring soon: the CLI shows warnings with the preview
        pulumi.log.warn(note)
    return declaration


def _same_residency(declaration: Declaration, component: str) -> None:
    """The policy packs read the residency set from the stack's `crosscloud:residency` when their config names none:
    a component built for another set would be checked against the wrong one, so the two must agree."""
    stack_residency = pulumi.Config(NAMESPACE).get("residency")
    if stack_residency is not None and stack_residency != declaration.spec.residency:
        raise DeclarationInputError(
            [
                ConfigIssue(
                    component,
                    "residency",
                    f"{quoted(declaration.spec.residency)} differs from the stack's crosscloud:residency "
                    f"{quoted(stack_residency)}, which the policy packs enforce; declare one residency set",
                )
            ]
        )


# -- undoing the wire -----------------------------------------------------------------------------------------------


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _strip(annotation: Any) -> Any:
    """`NotRequired[X]` and `X | None` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.NotRequired, typing.Required):
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = rest[0] if len(rest) == 1 else annotation
            if len(rest) != 1:
                return annotation
        else:
            return annotation


def _plain(value: Any, annotation: Any, path: tuple[str | int, ...], issues: list[ConfigIssue], where: str) -> Any:
    """`value` as the declaration's models read it: enums as their values, whole-number floats as ints (the wire
    carries every number as a double), Outputs refused (a declaration must be known when the component is built)."""
    annotation = _strip(annotation)
    if isinstance(value, pulumi.Output | Unknown) or value == rpc.UNKNOWN:
        issues.append(
            ConfigIssue(where, input_path(path), "must be a plain value known when the component is constructed")
        )
        return None
    if isinstance(value, Enum):
        return value.value
    if typing.is_typeddict(annotation) and isinstance(value, Mapping):
        hints = _hints(annotation)
        return {
            key: _plain(item, hints[key], (*path, key), issues, where) if key in hints else item
            for key, item in value.items()
        }
    origin = typing.get_origin(annotation)
    if origin is list and isinstance(value, list | tuple):
        (item_type,) = typing.get_args(annotation)
        return [_plain(item, item_type, (*path, i), issues, where) for i, item in enumerate(value)]
    if origin is dict and isinstance(value, Mapping):
        _, item_type = typing.get_args(annotation)
        return {key: _plain(item, item_type, (*path, key), issues, where) for key, item in value.items()}
    if annotation is int and isinstance(value, float) and not isinstance(value, bool):
        if value.is_integer():
            return int(value)
        issues.append(ConfigIssue(where, input_path(path), f"{quoted(value)}: must be a whole number"))
        return None
    return value


def camel(name: str) -> str:
    """The schema's name of a Python field (`flow_log_retention_days` -> `flowLogRetentionDays`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def input_path(path: tuple[str | int, ...]) -> str:
    """('aws', 'network', 'zones') -> 'aws.network.zones'; list indexes as [i]; dict keys as written."""
    text = ""
    annotation: Any = DeclarationArgs
    for part in path:
        annotation = _strip(annotation)
        if isinstance(part, int):
            text += f"[{part}]"
            args = typing.get_args(annotation)
            annotation = args[0] if args else Any
            continue
        if typing.is_typeddict(annotation):
            hints = _hints(annotation)
            shown = camel(part) if part in hints else part
            annotation = hints.get(part, Any)
        else:  # a dict key (a tag, a DNS zone): the consumer's own spelling
            shown = part
            args = typing.get_args(annotation)
            annotation = args[1] if len(args) == 2 else Any
        text += f".{shown}" if text else shown
    return text or "-"


def _as_input(issue: ConfigIssue, where: str) -> ConfigIssue:
    """A declaration issue (path `crosscloud:aws.network.zones`) restated for written inputs (`aws.network.zones`)."""
    rendered = issue.path.removeprefix(f"{NAMESPACE}:")
    return ConfigIssue(where, input_path(_split(rendered)), issue.problem, issue.allowed)


def _split(rendered: str) -> tuple[str | int, ...]:
    """'endpoints[0].aws.model' -> ('endpoints', 0, 'aws', 'model'), following the declaration's types so a dict key
    that contains dots (a DNS zone name) stays one part."""
    parts: list[str | int] = []
    annotation: Any = DeclarationArgs
    rest = rendered
    while rest:
        annotation = _strip(annotation)
        if rest.startswith("["):
            index, _, rest = rest[1:].partition("]")
            rest = rest.removeprefix(".")
            parts.append(int(index) if index.isdigit() else index)
            args = typing.get_args(annotation)
            annotation = args[0] if args else Any
            continue
        if typing.is_typeddict(annotation) or annotation is Any:
            name = rest
            for stop in (".", "["):
                name = name.split(stop, 1)[0]
            rest = rest[len(name) :].removeprefix(".")
            parts.append(name)
            annotation = _hints(annotation).get(name, Any) if typing.is_typeddict(annotation) else Any
            continue
        args = typing.get_args(annotation)
        if len(args) == 2 and not typing.is_typeddict(_strip(args[1])):  # dict[str, scalar]: the rest is the key
            parts.append(rest)
            break
        name = rest.split(".", 1)[0]
        rest = rest[len(name) :].removeprefix(".")
        parts.append(name)
        annotation = args[1] if len(args) == 2 else Any
    return tuple(parts)
