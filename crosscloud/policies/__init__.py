"""crosscloud's policy packs (CrossGuard): the shared rules live in `crosscloud.policies.rules`, each pack in a folder
of its own (`PulumiPolicy.yaml` and a `__main__.py` that serves some of the rules).

The pack folders are not Python modules of this package: in a checkout they are the repository's `policies/<pack>/`
(what `pulumi preview --policy-pack policies/<pack>` runs), and an installed crosscloud carries the same folders, with
`policies/config/`, as package data under `crosscloud/policies/packs/`. `pack_root()` finds whichever is there.
"""

from __future__ import annotations

from pathlib import Path

POLICY_PACK_FILE = "PulumiPolicy.yaml"
_HERE = Path(__file__).resolve().parent
# An installed wheel: the packs as package data (pyproject.toml force-includes the repository's policies/ folder).
INSTALLED_PACKS = _HERE / "packs"
# A checkout (or an editable install of one): the repository's own policies/ folder, two levels up.
CHECKOUT_PACKS = _HERE.parent.parent / "policies"


def pack_root() -> Path | None:
    """The folder holding the shipped packs (one sub-folder each, beside `config/`), or None if neither is there."""
    for root in (INSTALLED_PACKS, CHECKOUT_PACKS):
        if any(root.glob(f"*/{POLICY_PACK_FILE}")):
            return root
    return None


def pack_folders() -> list[Path]:
    """Every shipped pack folder, sorted."""
    root = pack_root()
    return sorted(p.parent for p in root.glob(f"*/{POLICY_PACK_FILE}")) if root is not None else []
