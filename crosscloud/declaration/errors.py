"""Config errors: one line each, naming the file, the key path, what was given and what is allowed."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

# C0/C1 controls (escape sequences start here), DEL, and the bidirectional controls that reorder what a reviewer sees
# ("Trojan Source"): shown as escapes, never sent to a terminal or a report raw.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control and bidi characters replaced by visible escapes (\\x1b, \\u202e)."""
    return _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        return " ".join(printable(line).split())  # one visible line, whatever the inputs contained

    @classmethod
    def given(cls, file: str, path: str, value: object, problem: str, allowed: str | None = None) -> ConfigIssue:
        return cls(file, path, f"{_short(value)} {problem}", allowed)


class DeclarationError(Exception):
    """The stack declaration is invalid; `issues` holds one line per problem."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues
