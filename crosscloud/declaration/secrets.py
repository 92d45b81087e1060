"""Recognise credentials where none belong (tags, names): crosscloud is keyless by design, and a tag is public
metadata that every reader of the account, the bill and the state file sees."""

from __future__ import annotations

import re

# Random base64 runs of a key's length; a run must mix upper case, lower case and digits, so a 40-character git
# commit SHA (hex, one case) or a long slug is not mistaken for a secret access key.
_RANDOM_RUNS = (
    re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),  # AWS secret access keys
    re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{86}==(?![A-Za-z0-9/+=])"),  # Azure storage / Cognitive Services keys
)
_PATTERNS = (
    re.compile(r"\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),  # AWS access key IDs
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWTs (bearer tokens)
    # A PEM private key, through its END line (or to the end of the text): the base64 body is the secret.
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:.*?-----END [A-Z ]*PRIVATE KEY-----|.*)", re.DOTALL),
    re.compile(r"(?i)\b(AccountKey|SharedAccessKey|sig)=[A-Za-z0-9%/+]{16,}"),  # connection strings and SAS tokens
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub tokens
)


def _mixed(run: str) -> bool:
    return any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)


def looks_like_key_material(text: str) -> bool:
    """True if `text` contains something shaped like a credential (an access key, a token, a private key)."""
    if any(p.search(text) for p in _PATTERNS):
        return True
    return any(_mixed(m.group(0)) for p in _RANDOM_RUNS for m in p.finditer(text))


def key_material_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds something shaped like a credential: merged, sorted (start, end) spans."""
    spans = sorted(
        [m.span() for p in _PATTERNS for m in p.finditer(text)]
        + [m.span() for p in _RANDOM_RUNS for m in p.finditer(text) if _mixed(m.group(0))]
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def without_key_material(text: str, replacement: str) -> str:
    """`text` with every credential-shaped run replaced by `replacement`."""
    spans = key_material_spans(text)
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], replacement]
        last = end
    return "".join([*parts, text[last:]])
