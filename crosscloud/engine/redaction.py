"""Secrets never reach an output. One Redactor per run, fed with every secret value of the graph (wire-format secrets
in inputs and outputs, config values of keys marked secret); every report, graph file and error line of the run
passes through it.

A pack sees a secret as plaintext (pulumi_policy unwraps it), so a message may quote one, and not always verbatim: a
rule may quote it through `repr()` or `json.dumps()` (a backslash, quote or newline then appears escaped), and the
engine folds a message's whitespace into single spaces. Each of those forms is redacted. Text that looks like key
material (crosscloud.declaration.secrets) is redacted in every report and error line even when nothing marked it
secret.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from crosscloud.declaration.errors import printable
from crosscloud.declaration.secrets import without_key_material
from crosscloud.engine.graph import SECRET_SHOWN, SECRET_SIG, SECRET_SIG_KEY, Graph

REDACTED = SECRET_SHOWN
MIN_SECRET_CHARS = 4  # shorter values ("1", "true") would redact ordinary words
MIN_PART_CHARS = 8  # a part of a secret (a list item, a connection-string value) redacted on its own
_LIST_SEPARATORS = re.compile(r"[\s,;&|]+")


def _leaves(value: Any) -> Iterator[str]:
    """Every scalar inside a secret value, as text (a JSON string is also opened: config holds objects as JSON)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value
        if value[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError, RecursionError):
                yield from _leaves(json.loads(value))
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _wire_secrets(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            yield from _leaves(value.get("value"))
            return
        for item in value.values():
            yield from _wire_secrets(item)
    elif isinstance(value, list):
        for item in value:
            yield from _wire_secrets(item)


def secret_values(graph: Graph) -> set[str]:
    """The plaintext of every secret in `graph`: wire secrets anywhere in inputs and outputs, and the config values
    of keys named in `secretKeys`."""
    found: set[str] = set()
    for resource in graph.resources:
        found.update(_wire_secrets(resource.inputs))
        if resource.outputs:
            found.update(_wire_secrets(resource.outputs))
    found.update(_wire_secrets(graph.outputs))
    for key in graph.secret_keys:
        if key in graph.config:
            found.update(_leaves(graph.config[key]))
    return {s for s in found if len(s) >= MIN_SECRET_CHARS and s != REDACTED}


def _forms(secret: str) -> set[str]:
    """The ways a message can carry `secret`: verbatim, JSON- and repr-escaped (twice, for a JSON string quoted
    again), unicode-escaped, control characters as printable() shows them, whitespace folded."""
    forms = {secret}
    for _ in range(2):
        for form in list(forms):
            forms.add(json.dumps(form)[1:-1])
            forms.add(json.dumps(form, ensure_ascii=False)[1:-1])
            forms.add(repr(form)[1:-1])
            forms.add(form.encode("unicode_escape").decode("ascii"))
    for form in list(forms):
        forms.add(printable(form))
    for form in list(forms):
        forms.add(" ".join(form.split()))
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


def _parts(secret: str) -> set[str]:
    """`secret` and the parts a rule may quote on their own: what follows (and precedes) its first ':' or '=' (an
    exemption's reason after its date, a setting's value after its name), and the items of a list or a connection
    string of at least MIN_PART_CHARS characters."""
    parts = {secret}
    for separator in ":=":
        head, found, tail = secret.partition(separator)
        if found:
            parts.update(p.strip() for p in (head, tail) if len(p.strip()) >= MIN_SECRET_CHARS)
    for item in _LIST_SEPARATORS.split(secret):
        for piece in (item, item.partition("=")[2]):
            if len(piece) >= MIN_PART_CHARS:
                parts.add(piece)
    return parts


class Redactor:
    """Replaces every form of every secret it was given (and of its parts), and anything shaped like key material,
    by "[secret]"."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = sorted({f for s in secrets for part in _parts(s) for f in _forms(part)}, key=lambda f: (-len(f), f))
        self._pattern = re.compile("|".join(re.escape(f) for f in forms)) if forms else None

    @classmethod
    def for_graph(cls, graph: Graph | None) -> Redactor:
        return cls(secret_values(graph)) if graph is not None else cls()

    def __bool__(self) -> bool:
        """True when it holds secrets (key material is redacted either way)."""
        return self._pattern is not None

    def secrets_only(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text

    def text(self, text: str) -> str:
        """`text` with every secret and every run of key material redacted."""
        return without_key_material(self.secrets_only(text), REDACTED)

    def value(self, value: Any, *, key_material: bool = True) -> Any:
        """A JSON-like value with every string (keys too) passed through text(), or secrets_only()."""
        clean = self.text if key_material else self.secrets_only
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, dict):
            return {
                clean(k) if isinstance(k, str) else k: self.value(v, key_material=key_material)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.value(v, key_material=key_material) for v in value]
        return value
