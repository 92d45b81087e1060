"""What a user gets who installs crosscloud into an environment of their own: one top-level package (`crosscloud`),
no generic `components` or `policies`, and the shipped policy packs as folders that still run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import CHECKOUT
from tests.graphs import graph, provider, resource
from tests.test_policies_build import isolated_venv


def uv() -> str | None:
    return (
        os.environ.get("UV")
        or shutil.which("uv")
        or next((str(p) for p in [Path.home() / ".local" / "bin" / "uv"] if p.is_file()), None)
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    binary = uv()
    if binary is None:
        pytest.skip("uv is not installed (scripts/ensure-uv installs it)")
    out = tmp_path_factory.mktemp("wheel")
    # A copy of the checkout's tracked files, so a stray build artefact in the checkout cannot reach the wheel.
    source = tmp_path_factory.mktemp("source")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=CHECKOUT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (CHECKOUT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / name, source / name)
    done = subprocess.run(
        [binary, "build", "--wheel", "--offline", "--out-dir", str(out), str(source)], capture_output=True, text=True
    )
    if done.returncode != 0 and "offline" in done.stderr.lower():
        pytest.skip(f"the build backend is not in uv's cache and the network is off: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("crosscloud-*.whl")
    return built


def test_the_wheel_has_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"crosscloud", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    assert "crosscloud/components/aws/bedrock.py" in names
    assert "crosscloud/policies/rules/residency.py" in names
    assert "crosscloud/platform/component.py" in names
    for pack in ("capacity", "governance", "portability", "residency", "security"):
        assert f"crosscloud/policies/packs/{pack}/PulumiPolicy.yaml" in names
        assert f"crosscloud/policies/packs/{pack}/__main__.py" in names
    assert "crosscloud/policies/packs/config/prod/residency.json" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_an_installed_crosscloud_runs_its_packs(wheel: Path, tmp_path: Path) -> None:
    """The wheel unpacked into an interpreter that has crosscloud's dependencies but not this checkout: the old
    top-level names are gone, and the packaged packs check a graph like the repository's packs do."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    python = isolated_venv(tmp_path / "venv")
    (next((tmp_path / "venv" / "lib").glob("python3*/site-packages")) / "crosscloud.pth").write_text(f"{site}\n")
    eu = provider("aws", "aws-eu", region="eu-central-1")
    cases = graph([eu, resource("aws:ec2/vpc:Vpc", "vpc-us", provider("aws", "aws-us", region="us-east-1"))])
    (tmp_path / "graph.json").write_text(json.dumps(cases.to_json()))
    probe = f"""
import importlib.util, json
from pathlib import Path
import crosscloud
from crosscloud.engine.graph import Graph
from crosscloud.engine.check import check_graph
from crosscloud.engine.project import shipped_packs
packs = shipped_packs()
g = Graph.from_json(json.loads(Path({str(tmp_path / "graph.json")!r}).read_text()), "graph.json")
result = check_graph(g, [p for p in packs if p.name == "residency"])
print(json.dumps({{
    "crosscloud": crosscloud.__file__,
    "components": importlib.util.find_spec("components") is not None,
    "policies": importlib.util.find_spec("policies") is not None,
    "packs": [str(p) for p in packs],
    "violations": sorted({{v.policy for v in result.violations}}),
}}))
"""
    done = subprocess.run([str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["crosscloud"].startswith(str(site)), "the installed copy, not the checkout"
    assert report["components"] is False and report["policies"] is False
    assert [Path(p).name for p in report["packs"]] == ["capacity", "governance", "portability", "residency", "security"]
    assert all(p.startswith(str(site / "crosscloud" / "policies" / "packs")) for p in report["packs"])
    assert "aws-region-allowed" in report["violations"]


def test_the_components_folder_is_a_link_and_nothing_imports_through_it() -> None:
    """The project's layout keeps `components/`, as a link to the library's package, so one module has one import
    path: no source of ours imports the top-level name."""
    import ast

    link = CHECKOUT / "components"
    assert link.is_symlink() and os.readlink(link) == "crosscloud/components"
    offenders = []
    for folder in ("crosscloud", "policies", "stacks", "tests", "benchmarks"):
        for path in (CHECKOUT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and node.level == 0
                    else []
                )
                if any(n == "components" or n.startswith("components.") for n in names):
                    offenders.append(f"{path.relative_to(CHECKOUT)}:{node.lineno}")
    assert offenders == []
