"""Policy pack config as the engine reads, reconciles and validates it (pkg/resource/analyzer/config.go).

A file (`--policy-config`, pulumi's `--policy-pack-config`) maps policy names (or "all") to an enforcement level or
an object of properties with an optional `enforcementLevel`; an `environments` key names ESC environments. The
engine starts from each policy's level and its schema's defaults, applies the pack's `initial_config`, then the file
(an "all" entry sets only the level of every policy), validates each policy's properties against its JSON schema and
sends the result to the pack in Configure. Messages follow the engine's (gojsonschema) wording.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from crosscloud.declaration import ConfigIssue, DeclarationError
from crosscloud.declaration.input_file import parse_json, read_text

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
MAX_POLICY_CONFIG_BYTES = 16 * 2**20
ALL = "all"


@dataclass
class PolicyConfig:
    """One policy's config: `level` is "" when the entry sets none."""

    level: str = ""
    properties: dict[str, Any] | None = None


@dataclass
class PolicyConfigFile:
    path: str
    policies: dict[str, PolicyConfig] = field(default_factory=dict)
    environments: list[str] = field(default_factory=list)


def read_policy_config(path: Path) -> PolicyConfigFile:
    """Parse a policy config file as the engine does; a bad file is a DeclarationError naming file and key."""
    name = str(path)
    limit = MAX_POLICY_CONFIG_BYTES
    text = read_text(
        path,
        kind="a policy config file",
        limit=limit,
        too_large=f"larger than {limit // 2**20} MiB; a policy config is far smaller",
    )
    if not text.strip():
        return PolicyConfigFile(name)  # the engine accepts an empty file
    data = parse_json(path, text)
    return parse_policy_config(data, name)


def parse_policy_config(data: Any, name: str) -> PolicyConfigFile:
    if not isinstance(data, dict):
        raise DeclarationError([ConfigIssue(name, "-", "policy config maps policy names to a level or an object")])
    data = dict(data)
    result = PolicyConfigFile(name)
    if "environments" in data:
        environments = data.pop("environments")
        if not isinstance(environments, list) or not all(isinstance(e, str) for e in environments):
            raise DeclarationError([ConfigIssue(name, "environments", "must be an array of ESC environment names")])
        result.environments = list(environments)
    levels = ", ".join(LEVELS)
    for policy, value in data.items():
        if isinstance(value, str):
            if value not in LEVELS:
                raise DeclarationError([ConfigIssue.given(name, policy, value, "is not an enforcement level", levels)])
            result.policies[policy] = PolicyConfig(value)
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", "")
            if level != "" and level not in LEVELS:
                raise DeclarationError(
                    [
                        ConfigIssue.given(
                            name, f"{policy}.enforcementLevel", level, "is not an enforcement level", levels
                        )
                    ]
                )
            if level or properties:  # the engine drops empty entries
                result.policies[policy] = PolicyConfig(str(level), properties or None)
        else:
            raise DeclarationError(
                [ConfigIssue.given(name, policy, value, "is not a valid value; must be a string or object")]
            )
    return result


@dataclass(frozen=True)
class PolicySchema:
    """What reconciliation needs to know about one policy of a pack."""

    name: str
    level: str
    properties: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()


def _apply(result: dict[str, PolicyConfig], given: dict[str, PolicyConfig]) -> None:
    everything = given.get(ALL)
    if everything is not None and everything.level in LEVELS:
        for policy, current in list(result.items()):
            result[policy] = PolicyConfig(everything.level, current.properties)  # only the level, never properties
    for policy, config in given.items():
        current = result.get(policy, PolicyConfig())
        level = config.level if config.level in LEVELS else current.level
        properties = current.properties
        if config.properties:
            properties = {**(properties or {}), **config.properties}
        result[policy] = PolicyConfig(level, properties)


def reconcile(
    policies: list[PolicySchema],
    initial: dict[str, PolicyConfig] | None,
    given: dict[str, PolicyConfig] | None,
) -> tuple[dict[str, PolicyConfig], list[str]]:
    """Defaults, then initial config, then the user's; the result and the validation errors (engine wording)."""
    result = {
        p.name: PolicyConfig(
            p.level,
            {k: v["default"] for k, v in p.properties.items() if isinstance(v, dict) and "default" in v} or None,
        )
        for p in policies
    }
    if initial:
        _apply(result, initial)
    if given:
        _apply(result, given)
    errors: list[str] = []
    for policy in policies:
        schema: dict[str, Any] = {"type": "object"}
        if policy.properties:
            schema["properties"] = policy.properties
        if policy.required:
            schema["required"] = list(policy.required)
        instance = (result.get(policy.name) or PolicyConfig()).properties or {}
        validator = jsonschema.Draft7Validator(schema)
        errors.extend(f"{policy.name}: {_go_message(e)}" for e in validator.iter_errors(instance))
    return result, sorted(errors)


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _go_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _go_message(error: jsonschema.ValidationError) -> str:
    """A jsonschema error in gojsonschema's words, as the engine prints it: '<field>: <description>', with the
    root field's '(root): ' prefix dropped."""
    path = [str(p) for p in error.absolute_path]
    where = ".".join(path) if path else "(root)"
    last = path[-1] if path else "(root)"
    kind, bound = error.validator, error.validator_value
    messages: dict[str, str] = {
        "type": "Invalid type. Expected: "
        + (", ".join(bound) if isinstance(bound, list) else str(bound))
        + f", given: {_go_type(error.instance)}",
        "minItems": f"Array must have at least {_number(bound)} items",
        "maxItems": f"Array must have at most {_number(bound)} items",
        "minLength": f"String length must be greater than or equal to {_number(bound)}",
        "maxLength": f"String length must be less than or equal to {_number(bound)}",
        "minimum": f"Must be greater than or equal to {_number(bound)}",
        "maximum": f"Must be less than or equal to {_number(bound)}",
        "exclusiveMinimum": f"Must be greater than {_number(bound)}",
        "exclusiveMaximum": f"Must be less than {_number(bound)}",
        "multipleOf": f"Must be a multiple of {_number(bound)}",
        "enum": f"{last} must be one of the following: "
        + (", ".join(json.dumps(v) for v in bound) if isinstance(bound, list) else str(bound)),
        "const": f"{last} does not match: {json.dumps(bound)}",
        "pattern": f"Does not match pattern '{bound}'",
        "format": f"Does not match format '{bound}'",
        "minProperties": f"Must have at least {_number(bound)} properties",
        "maxProperties": f"Must have at most {_number(bound)} properties",
        "anyOf": "Must validate at least one schema (anyOf)",
        "oneOf": "Must validate one and only one schema (oneOf)",
        "allOf": "Must validate all the schemas (allOf)",
        "not": "Must not validate the schema (not)",
    }
    if kind == "required":
        match = re.match(r"'(.*)' is a required property", error.message)
        description = f"{match.group(1) if match else error.message} is required"
    elif kind == "additionalProperties":
        match = re.search(r"\('(.*)' was unexpected\)", error.message)
        description = f"Additional property {match.group(1) if match else '?'} is not allowed"
    else:
        description = messages.get(str(kind), error.message)
    return description if where == "(root)" else f"{where}: {description}"
