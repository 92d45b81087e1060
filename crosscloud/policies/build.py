"""Build self-contained copies of the policy packs for `pulumi policy publish`.

`pulumi policy publish` uploads only the pack's folder, so a published pack cannot import the crosscloud project it
came from. This copies each pack with the shared rules (`crosscloud.policies.rules`) and the catalog
(`crosscloud.catalog`, data files included) vendored inside its folder under the same import paths, pins its runtime
dependencies in `requirements.txt`, and switches its runtime to a pip virtualenv the Pulumi CLI creates from them:

    python -m crosscloud.policies.build [--out dist/packs] [pack ...]      (or: make packs)

The vendored modules are the same files the repository's packs run, so the built pack cannot drift from them. It
works from a checkout (the repository's policies/ folders) and from an installed crosscloud (its packaged packs).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import metadata
from pathlib import Path

import yaml

from crosscloud.policies import pack_folders

PACKAGE = Path(__file__).resolve().parent.parent  # the crosscloud package
# What a pack needs at run time, besides the Python standard library.
REQUIREMENTS = ("pulumi", "pulumi-policy", "pydantic", "pyyaml", "grpcio", "protobuf")
# (source, where it lands in the pack): the same import paths as in the project, so a pack's __main__.py is one file.
VENDORED = (
    (PACKAGE / "policies" / "__init__.py", Path("crosscloud/policies/__init__.py")),
    (PACKAGE / "policies" / "rules", Path("crosscloud/policies/rules")),
    (PACKAGE / "catalog", Path("crosscloud/catalog")),
)
VENDORED_CROSSCLOUD_INIT = '"""crosscloud, vendored for a published policy pack: the rules and the catalog only."""\n'


def requirements() -> str:
    return "".join(f"{name}=={metadata.version(name)}\n" for name in REQUIREMENTS)


def build_pack(pack: Path, out: Path) -> Path:
    """Write the self-contained copy of `pack` to `out/<pack name>` (replacing it) and return its folder."""
    target = out / pack.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for item in pack.iterdir():
        if item.name in ("__pycache__", "venv", ".venv"):
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name, ignore=ignore)
        else:
            shutil.copy2(item, target / item.name)
    for source, relative in VENDORED:
        if source.is_dir():
            shutil.copytree(source, target / relative, ignore=ignore)
        else:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    (target / "crosscloud" / "__init__.py").write_text(VENDORED_CROSSCLOUD_INIT, encoding="utf-8")
    manifest = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    manifest["runtime"] = {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    header = (
        f"# Built by `python -m crosscloud.policies.build` from policies/{pack.name}: rules and catalog vendored.\n"
    )
    (target / "PulumiPolicy.yaml").write_text(header + yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    (target / "requirements.txt").write_text(requirements(), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crosscloud.policies.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("dist") / "packs", help="output folder (default dist/packs)")
    parser.add_argument("packs", nargs="*", help="pack folder names (default: every pack)")
    args = parser.parse_args(argv)
    folders = {p.name: p for p in pack_folders()}
    unknown = [name for name in args.packs if name not in folders]
    if unknown:
        known = ", ".join(folders)
        print(f"crosscloud.policies.build: unknown pack(s) {', '.join(unknown)}; packs: {known}", file=sys.stderr)
        return 2
    for name in args.packs or list(folders):
        print(build_pack(folders[name], args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
