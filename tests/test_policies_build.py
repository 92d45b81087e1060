"""`python -m crosscloud.policies.build` makes each pack self-contained: a copy of the built folder, alone outside the
repository, with an interpreter that has the pack's requirements but NOT the crosscloud project, runs over gRPC and
reports what the repository's pack reports."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import yaml

from crosscloud.engine.check import check_graph
from crosscloud.engine.project import Project
from crosscloud.policies.build import main as build_main
from tests.graphs import graph, provider, resource
from tests.test_policies import SONNET


def isolated_venv(folder: Path) -> Path:
    """A venv holding the third-party packages of this environment but not the editable crosscloud project: the
    project's site-packages is added by a plain path line, so its `.pth` files (the editable install) are not run."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, capture_output=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return folder / "bin" / "python"


def test_built_pack_runs_alone(project: Project, tmp_path: Path) -> None:
    assert build_main(["--out", str(tmp_path / "build")]) == 0
    built = sorted(p.name for p in (tmp_path / "build").iterdir())
    assert built == sorted(p.name for p in project.policy_packs())
    alone = tmp_path / "elsewhere" / "residency"
    shutil.copytree(tmp_path / "build" / "residency", alone)
    manifest = yaml.safe_load((alone / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    requirements = (alone / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("pulumi-policy==") for line in requirements)
    assert (alone / "crosscloud" / "catalog" / "data" / "models.yaml").is_file()
    assert (alone / "crosscloud" / "policies" / "rules" / "residency.py").is_file()
    assert not (alone / "policies").exists(), (
        "one import path: the rules are crosscloud.policies.rules, as in the project"
    )

    python = isolated_venv(alone / "venv")
    probe = subprocess.run([str(python), "-c", "import crosscloud"], cwd=tmp_path, capture_output=True)
    assert probe.returncode != 0, "the isolated interpreter must not see the crosscloud project"

    eu = provider("aws", "aws-eu", region="eu-central-1")
    cases = graph(
        [
            eu,
            resource("aws:ec2/vpc:Vpc", "vpc-us", provider("aws", "aws-us", region="us-east-1")),
            resource("aws:lambda/function:Function", "fn", eu, environment={"variables": {"M": f"us.{SONNET}"}}),
        ]
    )
    from_copy = check_graph(cases, [alone])
    from_repo = check_graph(cases, [project.root / "policies" / "residency"])
    assert from_copy.packs[0].path == str(alone.resolve())
    assert sorted((v.policy, v.urn, v.message) for v in from_copy.violations) == sorted(
        (v.policy, v.urn, v.message) for v in from_repo.violations
    )
    assert {v.policy for v in from_copy.violations} == {
        "aws-region-allowed",
        "bedrock-profile-prefix-allowed",
        "residency-pinned",  # no policy config pins the residency set here
    }


def test_build_rejects_unknown_pack(tmp_path: Path, capsys) -> None:
    assert build_main(["--out", str(tmp_path), "nope"]) == 2
    assert "unknown pack(s) nope" in capsys.readouterr().err
