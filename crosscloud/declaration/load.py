"""Read a stack's declaration from `Pulumi.<stack>.yaml` (offline) or from `pulumi.Config` (under the CLI).

Both paths produce the same `{"crosscloud:<key>": value}` map and go through `parse_config`, so a declaration that
loads offline loads the same way under `pulumi up`.
"""

from __future__ import annotations

import contextlib
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crosscloud.declaration import bounded_yaml
from crosscloud.declaration.errors import (
    KEY_MATERIAL_SHOWN,
    ConfigIssue,
    DeclarationError,
    _short,
    did_you_mean,
    join_allowed,
)
from crosscloud.declaration.input_file import read_text
from crosscloud.declaration.secrets import looks_like_key_material
from crosscloud.declaration.spec import PlatformSpec

NAMESPACE = "crosscloud"
# Top-level keys Pulumi itself writes into a stack file.
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


class StackFileLoader(bounded_yaml.CoreSchemaLoader):
    """YAML as Pulumi reads stack files (YAML 1.2 core scalars): dates stay strings, only true/false are booleans,
    and a duplicate key is an error."""


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` map of a Pulumi stack file, or a one-line DeclarationError."""
    name = str(path)

    def fail(where: str, problem: str) -> DeclarationError:
        return DeclarationError([ConfigIssue(name, where, problem)])

    limit = bounded_yaml.MAX_FILE_BYTES
    text = read_text(
        path, kind="a stack file", limit=limit, too_large=f"is larger than {limit // 1024} KiB; a stack file is small"
    )
    try:
        document = bounded_yaml.load(text, StackFileLoader)
    except bounded_yaml.YamlLimitError as exc:
        raise fail("-", str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "-"
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise fail(where, f"malformed YAML: {problem}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise DeclarationError([ConfigIssue(name, "-", "a stack file must be a mapping with a 'config:' key")])
    issues = [
        ConfigIssue.given(name, str(key), key, "is not a stack-file key", join_allowed(STACK_FILE_KEYS))
        for key in document
        if key not in STACK_FILE_KEYS
    ]
    config = document.get("config") or {}
    if not isinstance(config, dict):
        issues.append(ConfigIssue(name, "config", "must be a mapping of 'namespace:key' to values"))
    if issues:
        raise DeclarationError(issues)
    return {str(k): v for k, v in config.items()}


def load_stack_file(path: Path) -> PlatformSpec:
    return parse_config(read_stack_file(path), str(path))


def pulumi_config_map(config: dict[str, Any]) -> dict[str, str]:
    """A stack file's config as the engine hands it to programs and analyzers: structured values as JSON strings."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def _field_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `X | None` or `list[X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _field_model(arg)
            if found is not None:
                return found
    return None


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = PlatformSpec
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _field_model(field.annotation)
    return model


def render_path(loc: tuple[int | str, ...]) -> str:
    """('endpoints', 0, 'aws', 'model') -> 'crosscloud:endpoints[0].aws.model'; a key that looks like key material
    (a tag named with a token) is not shown."""
    text = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += "." + (KEY_MATERIAL_SHOWN.strip("'") if looks_like_key_material(part) else part)
    return text


def _issue(file: str, error: ErrorDetails) -> ConfigIssue:
    loc = tuple(p for p in error["loc"] if p != "[key]")
    path = render_path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = list(parent.model_fields) if parent else []
        return ConfigIssue(file, path, f"unknown key{did_you_mean(str(loc[-1]), allowed)}", join_allowed(allowed))
    if kind == "missing":
        return ConfigIssue(file, path, "is required")
    message = error["msg"].removeprefix("Value error, ")
    if error["loc"] and error["loc"][-1] == "[key]":
        message = f"invalid key: {message}"
    shown = _short(error["input"])
    return ConfigIssue(file, path, f"{shown}: {message}" if shown else message)


ENVIRONMENTS = ("dev", "staging", "prod")


def stack_of(file: str) -> str | None:
    """'Pulumi.prod.yaml' -> 'prod'."""
    match = re.fullmatch(r"Pulumi\.(.+)\.ya?ml", Path(file).name)
    return match.group(1) if match else None


def parse_config(config: dict[str, Any], file: str, stack: str | None = None) -> PlatformSpec:
    """Validate the `crosscloud:*` keys of a config map into a PlatformSpec (structure only; see checks.py).

    `environment` defaults to the stack's name when that is dev, staging or prod, and is required otherwise.
    """
    fields = PlatformSpec.model_fields
    data: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue  # provider and pulumi settings (aws:*, azure-native:*, pulumi:*) are not ours to judge
        if name not in fields:
            issues.append(
                ConfigIssue(
                    file,
                    key,
                    f"unknown key{did_you_mean(key, [f'{NAMESPACE}:{f}' for f in fields])}",
                    join_allowed(f"{NAMESPACE}:{f}" for f in fields),
                )
            )
            continue
        if isinstance(value, dict) and "secure" in value:
            issues.append(ConfigIssue(file, key, "is a secret; crosscloud keys hold no secrets (keyless by design)"))
            continue
        if isinstance(value, str) and fields[name].annotation is not str:
            # Under the Pulumi CLI structured values arrive as JSON strings; a non-JSON string is reported below.
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        data[name] = value
    stack = stack if stack is not None else stack_of(file)
    if "environment" not in data:
        if stack in ENVIRONMENTS:
            data["environment"] = stack
        else:
            issues.append(
                ConfigIssue(
                    file,
                    f"{NAMESPACE}:environment",
                    f"is required: the stack {stack!r} is not named dev, staging or prod",
                    join_allowed(ENVIRONMENTS),
                )
            )
            data["environment"] = "prod"  # validate the rest as strictly as prod would be
    try:
        spec = PlatformSpec.model_validate(data)
    except ValidationError as exc:
        issues.extend(_issue(file, e) for e in exc.errors())
        raise DeclarationError(issues) from None
    if issues:
        raise DeclarationError(issues)
    return spec
