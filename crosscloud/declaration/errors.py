"""Config errors: one line each, naming the file, the key path, what was given and what is allowed."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from crosscloud.declaration.secrets import looks_like_key_material, without_key_material

# C0/C1 controls (escape sequences start here), DEL, and the bidirectional controls that reorder what a reviewer sees
# ("Trojan Source"): shown as escapes, never sent to a terminal or a report raw.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control and bidi characters replaced by visible escapes (\\x1b, \\u202e)."""
    return _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


KEY_MATERIAL_SHOWN = "'[redacted: looks like key material]'"


def quoted(value: object, limit: int = 60) -> str:
    """A scalar a user gave, safe to print: its repr, cut to `limit` characters, and never a credential (a value
    that looks like key material is not shown at all, not even its first characters)."""
    if isinstance(value, str) and looks_like_key_material(value):
        return KEY_MATERIAL_SHOWN
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: object, limit: int = 60) -> str:
    """What a message may quote of a value: a scalar, quoted(); a mapping or list, nothing (it may hold a secret
    beside the key the message is about, as `crosscloud:tags` does: the message names the key instead)."""
    if isinstance(value, dict | list | tuple | set | frozenset):
        return ""
    return quoted(value, limit)


def did_you_mean(given: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(given, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def join_allowed(values: Iterable[str], limit: int = 14) -> str:
    items = list(values)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f", ... ({len(items) - limit} more)"
    return ", ".join(items) if items else "none"


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    path: str
    problem: str
    allowed: str | None = None

    def __str__(self) -> str:
        line = f"{self.file}: {self.path}: {self.problem}"
        if self.allowed is not None:
            line += f"; allowed: {self.allowed}"
        # One visible line, whatever the inputs contained, and no credential even where a key path holds one.
        return " ".join(printable(without_key_material(line, KEY_MATERIAL_SHOWN.strip("'"))).split())

    @classmethod
    def given(cls, file: str, path: str, value: object, problem: str, allowed: str | None = None) -> ConfigIssue:
        shown = _short(value)
        return cls(file, path, f"{shown} {problem}" if shown else problem, allowed)


class DeclarationError(Exception):
    """The stack declaration is invalid; `issues` holds one line per problem."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues
