"""Stack config as the engine hands it to the program and to policy packs, and the stack tags it sends them.

The engine merges `Pulumi.yaml` config into the stack's (a stack value wins), passes every value as a string
(objects and lists as Go's `json.Marshal` writes them: compact, keys sorted, `<>&` escaped) and decrypts `secure:`
values. The offline path has no secrets provider, so a `secure:` value is left out and named in a note; its
ciphertext is never passed on as if it were the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from crosscloud.declaration import ConfigIssue, DeclarationError
from crosscloud.engine.project import Project

TAGS_KEY = "pulumi:tags"
_TYPED_KEYS = {"type", "description", "items", "default", "value", "secret"}


@dataclass
class EngineConfig:
    """`values`: key -> wire string; `secure`: keys whose value is encrypted and was left out."""

    values: dict[str, str]
    secure: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        return [
            f"config {key} is a secure value: the offline path cannot decrypt it, so the program and the packs run "
            "without it (pulumi preview passes the decrypted value, marked secret)"
            for key in self.secure
        ]


def go_json(value: Any) -> str:
    """JSON as Go's json.Marshal writes it (the engine's serialisation of structured config values)."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(char, escaped)
    return text.replace("\u2029", "\\u2029")


def wire_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return go_json(value)


def is_secure(value: Any) -> bool:
    """A `secure:` value, or a structure holding one."""
    if isinstance(value, dict):
        if set(value) == {"secure"} and isinstance(value["secure"], str):
            return True
        return any(is_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(is_secure(v) for v in value)
    return False


def _project_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def merge_project_config(project: Project, stack_config: dict[str, Any], stack_file: str) -> dict[str, Any]:
    """Stack config with `Pulumi.yaml`'s values and defaults for keys the stack does not set (the stack wins);
    a project-namespace key with neither is an error, as `pulumi preview` reports it."""
    merged = dict(stack_config)
    missing = []
    for raw_key in sorted(project.config):
        spec = project.config[raw_key]
        key = _project_key(project.name, raw_key)
        if key in merged:
            continue
        if isinstance(spec, dict) and set(spec) & _TYPED_KEYS:
            if "default" in spec:
                merged[key] = spec["default"]
            elif "value" in spec:
                merged[key] = spec["value"]
            elif key.split(":", 1)[0] == project.name:
                missing.append(key)
        elif spec is not None:
            merged[key] = spec
    if missing:
        raise DeclarationError(
            [ConfigIssue(stack_file, key, "required by Pulumi.yaml but not set in the stack") for key in missing]
        )
    return merged


def engine_config(config: dict[str, Any]) -> EngineConfig:
    values: dict[str, str] = {}
    secure: list[str] = []
    for key, value in config.items():
        if is_secure(value):
            secure.append(key)
        elif value is not None:
            values[key] = wire_value(value)
    return EngineConfig(values=values, secure=sorted(secure))


def stack_tags(project: Project, config: dict[str, str], where: str) -> dict[str, str]:
    """The tags `pulumi preview` sends in ConfigureStack that come from the project: pulumi:project,
    pulumi:runtime, pulumi:description and every `pulumi:tags` entry (backend-stored and VCS tags are not known)."""
    tags = {"pulumi:project": project.name, "pulumi:runtime": project.runtime}
    if project.description is not None:
        tags["pulumi:description"] = project.description
    raw = config.get(TAGS_KEY)
    if raw is None:
        return tags
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    if not isinstance(value, dict):
        raise DeclarationError([ConfigIssue(where, TAGS_KEY, "must be an object of strings")])
    for name, tag in value.items():
        if not isinstance(tag, str):
            raise DeclarationError([ConfigIssue(where, f"{TAGS_KEY}.{name}", "must be a string")])
        tags[str(name)] = tag
    return tags
