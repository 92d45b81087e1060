"""Reading a file a user hands us (stack file, graph, policy config): bounded, UTF-8, and every failure one line.

One reader for all of them, so a directory, a missing file, an oversized file or non-UTF-8 bytes are reported the
same way whichever file it is, and a huge file is never read whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crosscloud.declaration.errors import ConfigIssue, DeclarationError


def _fail(path: Path, where: str, problem: str) -> DeclarationError:
    return DeclarationError([ConfigIssue(str(path), where, problem)])


def read_text(path: Path, *, kind: str, limit: int, too_large: str) -> str:
    """The file as text, or a DeclarationError: `kind` names it ("a stack file"), `too_large` says why the limit."""
    try:
        if path.is_dir():
            raise _fail(path, "-", f"is a directory, not {kind}")
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except FileNotFoundError:
        raise _fail(path, "-", "file not found") from None
    except OSError as exc:
        raise _fail(path, "-", f"cannot read file: {exc.strerror}") from None
    if len(raw) > limit:
        raise _fail(path, "-", too_large)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"byte {exc.start}", "is not UTF-8 text") from None


def parse_json(path: Path, text: str) -> Any:
    """JSON text as data, or a DeclarationError naming the line (or the nesting) that broke it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"line {exc.lineno}", f"malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise _fail(path, "-", "JSON nested too deep") from None
