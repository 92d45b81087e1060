"""Reading a file a user hands us (stack file, graph, policy config): bounded, UTF-8, and every failure one line.

One reader for all of them, so a directory, a missing file, an oversized file or non-UTF-8 bytes are reported the
same way whichever file it is, and a huge file is never read whole.
"""

from __future__ import annotations

import json
import os
import re
import stat
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
        # Opened without blocking and checked before reading: a FIFO would hang the run, a device never end.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise _fail(path, "-", f"is not a regular file (a FIFO, device or socket), not {kind}")
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


# JSON numbers travel to packs as float64 (protobuf Struct), which overflows past ~309 digits, and Python refuses to
# parse an integer of more than 4,300 digits at all. A 64-bit integer has at most 19; no graph or config needs more.
MAX_INTEGER_DIGITS = 19


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _NumberTooLongError(len(text.lstrip("-")))
    return int(text)


class _NumberTooLongError(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def parse_json(path: Path, text: str) -> Any:
    """JSON text as data, or a DeclarationError naming the line (or the nesting) that broke it; an integer of more
    than MAX_INTEGER_DIGITS digits and a string holding a lone surrogate (not UTF-8 encodable) are refused too."""
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"line {exc.lineno}", f"malformed JSON: {exc.msg}") from None
    except _NumberTooLongError as exc:
        raise _fail(
            path,
            "-",
            f"holds an integer of {exc.digits} digits; at most {MAX_INTEGER_DIGITS} (a 64-bit integer)",
        ) from None
    except RecursionError:
        raise _fail(path, "-", "JSON nested too deep") from None
    # Only an escape can put a surrogate into decoded text: look for one before walking the whole document.
    where = surrogate_path(data) if _SURROGATE_ESCAPE.search(text) else None
    if where is not None:
        raise _fail(path, where or "-", "holds a lone surrogate escape (\\ud800-\\udfff), which is not text") from None
    return data


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def surrogate_path(value: Any, path: str = "") -> str | None:
    """The JSON path of the first string (key or value) in `value` that holds a lone surrogate, or None."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                return where
        elif isinstance(item, dict):
            for key, sub in item.items():
                if isinstance(key, str) and has_surrogate(key):
                    return f"{where}.<key>" if where else "<key>"
                stack.append((sub, f"{where}.{key}" if where else str(key)))
        elif isinstance(item, list):
            stack.extend((sub, f"{where}[{i}]") for i, sub in enumerate(item))
    return None


def refuse_leaving(path: Path, root: Path, kind: str) -> None:
    """A file found inside the project must stay there: a committed symlink that leads out of it (to a home folder,
    /etc, another checkout) is refused, without saying where it leads or reading a line of it. A path outside the
    project that the user named is theirs to name."""
    lexical = Path(os.path.abspath(path))
    base = Path(os.path.abspath(root))
    if not lexical.is_relative_to(base):
        return
    if not Path(os.path.realpath(lexical)).is_relative_to(Path(os.path.realpath(base))):
        raise _fail(path, "-", f"is a {kind} that links outside the project; crosscloud reads only files inside it")


def write_text(path: Path, text: str) -> None:
    """Write an output file; any failure (a full disk, a folder that vanished) is one line naming the file."""
    try:
        with path.open("w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise _fail(path, "-", f"cannot write the output file: {exc.strerror or exc}") from None
