"""The GitHub workflows users copy (.github/workflows/): valid against the GitHub workflow schema (check-jsonschema's
vendored copy), clean under zizmor's offline audits at high severity, and the properties the README promises: actions
pinned by full commit SHA with the tag beside it, least permissions per job, no expression inside a script, no
persisted checkout credentials, a commenter that never checks out or runs the pull request's code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CHECKOUT

WORKFLOWS = CHECKOUT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"uses: (\S+)(?: # (v\d+\.\d+\.\d+))?$")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job.get("steps", [])]


def tool(name: str) -> str:
    found = BIN / name
    assert found.exists() or shutil.which(name), f"{name} is a dev dependency (pyproject.toml)"
    return str(found if found.exists() else shutil.which(name))


def test_the_workflows_exist() -> None:
    assert {p.name for p in FILES} == {"ci.yml", "policy-check.yml", "policy-comment.yml", "deploy.yml"}


def test_valid_against_the_github_workflow_schema() -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def zizmor(*paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", "--min-severity", "high", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_no_high_severity_zizmor_finding() -> None:
    findings = zizmor(*FILES)
    assert findings == [], [(f["ident"], f["locations"][0]["symbolic"]["key"]) for f in findings]


def test_zizmor_finds_what_the_workflows_avoid(tmp_path: Path) -> None:
    """The audit can fail: the same job with a tag instead of a SHA and the PR title in a script is flagged."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "name: bad\non: pull_request_target\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout@v7\n"
        "        with:\n          persist-credentials: false\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    idents = {f["ident"] for f in zizmor(bad)}
    assert {"unpinned-uses", "template-injection", "dangerous-triggers"} <= idents


def test_every_action_is_pinned_by_sha_with_its_tag() -> None:
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip().removeprefix("- ")
            if not stripped.startswith("uses:"):
                continue
            match = USES_LINE.match(stripped)
            assert match and PINNED.match(match.group(1)) and match.group(2), f"{path.name}: {stripped}"


def test_least_permissions_and_no_persisted_credentials() -> None:
    for path in FILES:
        workflow = load(path)
        assert workflow.get("permissions") == {}, f"{path.name}: the workflow grants nothing by default"
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}:{name} states its permissions"
            assert "write-all" not in str(job["permissions"])
        for name, step in steps(workflow):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{name}"
            for key in ("run",):
                assert "${{" not in str(step.get(key, "")), f"{path.name}:{name}: an expression inside a script"
            assert "${{" not in str(step.get("with", {}).get("script", "")), f"{path.name}:{name}: script"


def test_the_pull_request_check_runs_offline_for_forks_too() -> None:
    workflow = load(WORKFLOWS / "policy-check.yml")
    assert set(workflow["on"]) == {"pull_request"}, "pull_request (not _target): fork PRs run it with a read token"
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"} and "environment" not in job
    text = (WORKFLOWS / "policy-check.yml").read_text(encoding="utf-8")
    assert "secrets." not in text and "id-token" not in text
    assert 'crosscloud check "$stack" --format markdown' in text and "--format sarif" in text
    assert "actions/upload-artifact@" in text


def test_the_commenter_never_runs_the_pull_requests_code() -> None:
    workflow = load(WORKFLOWS / "policy-comment.yml")
    assert workflow["on"]["workflow_run"]["workflows"] == [load(WORKFLOWS / "policy-check.yml")["name"]]
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write", "security-events": "write"}
    uses = [str(step.get("uses", "")).split("@")[0] for _, step in steps(workflow)]
    assert uses == ["actions/download-artifact", "actions/github-script", "github/codeql-action/upload-sarif"]
    assert not any("run" in step for _, step in steps(workflow)), "no shell step: nothing from the artifact runs"
    script = next(s for _, s in steps(workflow) if "github-script" in str(s.get("uses")))["with"]["script"]
    assert "/^[0-9]{1,10}$/" in script and "pr.head.sha !== process.env.HEAD_SHA" in script
    assert "updateComment" in script and "createComment" in script, "one comment, updated"
    sarif = next(s for _, s in steps(workflow) if "upload-sarif" in str(s.get("uses")))
    assert "# v4." in (WORKFLOWS / "policy-comment.yml").read_text() and sarif["with"]["sha"]
    text = (WORKFLOWS / "policy-comment.yml").read_text(encoding="utf-8")
    assert "zizmor: ignore[dangerous-triggers]" in text and "the safe pattern" in text


def test_the_real_previews_and_deploys() -> None:
    """pulumi/actions v7 with every pack and its per-stack config; up for dev on main, prod behind the environment
    whose OIDC subject prod's deploy role trusts."""
    workflow = load(WORKFLOWS / "deploy.yml")
    jobs = workflow["jobs"]
    packs = sorted(p.parent.name for p in (CHECKOUT / "policies").glob("*/PulumiPolicy.yaml"))
    for name, job in jobs.items():
        assert job["permissions"] == {"contents": "read", "id-token": "write"}, name
        [pulumi_step] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
        listed = pulumi_step["with"]["policyPacks"].split()
        assert sorted(Path(p).name for p in listed) == packs, name
        configs = pulumi_step["with"]["policyPackConfigs"].replace("${{ matrix.stack }}", "STACK").split()
        assert [Path(c).stem for c in configs] == [Path(p).name for p in listed], "paired in order"
        for config in configs:
            for stack in ("dev", "prod"):
                assert (CHECKOUT / config.replace("STACK", stack)).is_file(), config
    assert jobs["preview"]["if"].count("github.event.pull_request.head.repo.full_name == github.repository") == 1
    assert [
        s["with"]["command"]
        for n in ("up-dev", "up-prod")
        for s in jobs[n]["steps"]
        if "with" in s and "command" in s["with"]
    ] == ["up", "up"]
    assert jobs["up-prod"]["environment"] == "prod" and jobs["up-prod"]["needs"] == "up-dev"
    prod = yaml.safe_load((CHECKOUT / "Pulumi.prod.yaml").read_text())["config"]
    assert prod["crosscloud:identity"]["ci"]["environment"] == "prod"


@pytest.mark.parametrize("name", ["ci.yml", "policy-check.yml", "deploy.yml"])
def test_ci_entry_point_still_installs_from_scratch(name: str) -> None:
    """Jobs that build install through make (scripts/ensure-uv), as .ci/run does on a fresh machine."""
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert "bash .ci/run" in text or "make .venv/.synced" in text
