"""Reading the small YAML files a user points crosscloud at (catalog and price overlays): bounded, UTF-8, safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_OVERLAY_BYTES = 4 * 1024 * 1024  # a price overlay's bound


class OverlayFileError(ValueError):
    """The file cannot be read as YAML; the text says why, in one line."""


def read_overlay_yaml(path: Path, limit: int = MAX_OVERLAY_BYTES) -> Any:
    """The parsed document, or OverlayFileError: larger than `limit`, unreadable, not UTF-8 or not YAML."""
    try:
        if path.stat().st_size > limit:
            raise OverlayFileError(f"is larger than {limit // (1024 * 1024)} MiB")
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OverlayFileError(f"cannot read: {exc}".replace("\n", " ")) from None
