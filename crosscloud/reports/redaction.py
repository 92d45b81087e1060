"""Secrets stay secret in reports: a pack sees secret inputs as plaintext (pulumi_policy unwraps them), so a message
may quote one; every report that renders messages replaces each secret value of the analysed graph with [secret]."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from crosscloud.engine.graph import SECRET_SIG, SECRET_SIG_KEY
from crosscloud.engine.violations import CheckResult

REDACTED = "[secret]"
MIN_SECRET_CHARS = 4  # shorter values ("1", "true") would redact ordinary words


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
        if value[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError):
                yield from _strings(json.loads(value))
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _secrets(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            yield from _strings(value.get("value"))
            return
        for item in value.values():
            yield from _secrets(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secrets(item)


def secret_values(result: CheckResult) -> list[str]:
    """Every secret plaintext in the analysed graph's inputs, longest first."""
    if result.graph is None:
        return []
    found = {s for r in result.graph.resources for s in _secrets(r.inputs) if len(s) >= MIN_SECRET_CHARS}
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
