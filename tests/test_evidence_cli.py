"""End to end: `crosscloud cost`, `exit-plan` and `graph` on the shipped dev and prod stacks, and the exit plan's config
changes applied to the stack file (each must give a valid declaration that moves the endpoint)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml

from crosscloud.catalog import load_catalog
from crosscloud.cli import main
from crosscloud.declaration import declaration_from_config
from crosscloud.evidence.exit_plan import git_commit
from tests.conftest import CHECKOUT, ROOT, stack_config

STACKS = ("dev", "prod")


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("graphs")
    found = {}
    for stack in STACKS:
        found[stack] = folder / f"{stack}.json"
        assert main(["synth", stack, "-C", str(ROOT), "-o", str(found[stack])]) == 0
    return found


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("stack", STACKS)
def test_cost_in_every_format(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = run(capsys, "cost", stack, "-C", str(ROOT))
    assert code == 0
    code, raw, _ = run(capsys, "cost", stack, "-C", str(ROOT), "--format", "json")
    report = json.loads(raw)
    names = [c["component"] for c in report["commitments"]]
    expected = {
        "dev": ["aws-gpu-experiments", "azure-gpu-oss-a100"],
        "prod": ["aws-gpu-finetune", "aws-gpu-serving", "azure-foundry-deployment-chat"],
    }[stack]
    assert names == expected
    for c in report["commitments"]:
        assert c["verified"] is False and c["price"]["verified"] is False  # the shipped prices are unverified
        assert f"{c['component']}" in text
    monthly = report["monthly"]
    total = sum(c["monthly"] for c in report["commitments"])
    assert monthly["total"]["amount"] == pytest.approx(total, abs=0.02) and monthly["total"]["verified"] is False
    assert f"total: {monthly['total']['amount']:,.2f} USD (unverified)" in text
    assert report["overBudget"] == [] and "Within the monthly budget" in text
    code, md, _ = run(capsys, "cost", stack, "-C", str(ROOT), "--format", "markdown")
    assert md.startswith(f"## Committed cost of `{stack}`") and md.count("(unverified)") >= len(expected) * 2


def test_prod_cost_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    """The prod commitments at the shipped list prices: a 14-day block of 2 x p5.48xlarge, a reservation of one, and
    a 50 PTU regional deployment (730 hours a month)."""
    report = json.loads(run(capsys, "cost", "prod", "-C", str(ROOT), "--format", "json")[1])
    by_name = {c["component"]: c for c in report["commitments"]}
    block = by_name["aws-gpu-finetune"]
    days = (dt.date.fromisoformat(block["ends"]) - dt.date.fromisoformat(block["starts"])).days
    assert block["monthly"] == pytest.approx(2 * 39.33 * 24 * days) and block["cancellable"] is False
    assert by_name["aws-gpu-serving"]["monthly"] == pytest.approx(55.04 * 730)
    assert by_name["azure-foundry-deployment-chat"]["monthly"] == pytest.approx(50 * 2.0 * 730)
    assert by_name["azure-foundry-deployment-chat"]["restOfTerm"] is None  # billed until deleted


def test_a_budget_that_does_not_hold_is_shown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = stack_config("prod")
    config["crosscloud:budget"] = {"monthly": {"azure": 1000}}
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    code, text, _ = run(capsys, "cost", "prod", "-C", str(ROOT), "--config-file", str(path))
    assert code == 0, "cost reports; the capacity pack's rule is what blocks"
    assert "Over the monthly budget (azure 1,000.00 USD):" in text
    assert "- monthly commitment on azure is 73,000.00 USD, over the budget of 1,000.00 USD" in text


@pytest.mark.parametrize("stack", STACKS)
def test_exit_plan_json(stack: str, graphs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, raw, _ = run(capsys, "exit-plan", "--graph", str(graphs[stack]), "-C", str(ROOT), "--format", "json")
    assert code == 0
    plan = json.loads(raw)
    assert plan["stack"] == stack and plan["residency"] == "eu"
    assert set(plan["leaving"]) == {"aws", "azure"}
    served = {e["name"]: e for e in stack_config(stack)["crosscloud:endpoints"]}
    for cloud, moves in plan["leaving"].items():
        assert sorted(m["endpoint"] for m in moves) == sorted(n for n, e in served.items() if cloud in e)
        for m in moves:
            assert m["now"]["cloud"] == cloud and m["now"]["processing"]
            assert m["lockIn"] == (m["counterpart"] is None)
            if m["lockIn"]:
                assert m["alternatives"], m
            else:
                assert m["counterpart"]["cloud"] != cloud and m["configChange"]
    types = {a["type"] for a in plan["assets"]}
    assert {"aws:bedrock/guardrail:Guardrail", "aws:kms/key:Key", "azure-native:cognitiveservices:RaiPolicy"} <= types
    provenance = plan["provenance"]
    assert provenance["declaration"]["sha256"] and set(provenance["catalog_dates"]) >= {"models", "gpus"}
    assert provenance["prices"] and all(p["verified"] is False for p in provenance["prices"])
    assert [c["component"] for c in plan["commitments"]]


def test_prod_exit_plan_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    """From the stack itself (runs the program): lock-ins, commitments that block, assets, provenance."""
    code, md, _ = run(capsys, "exit-plan", "prod", "-C", str(ROOT))
    assert code == 0
    assert md.startswith("# Exit plan: stack `prod` (residency `eu`)")
    assert "| `drafts` | gpt-oss-20b: openai.gpt-oss-20b-1:0 (in-region) | regional: eu-north-1 | none: lock-in" in md
    assert "| `summarise` |" in md and "none: lock-in (nearest: gpt-oss-120b" in md
    assert "the same model is resident on AWS in eu-central-1, eu-west-1, eu-west-3" in md  # embed-multilingual
    assert "| aws | aws-gpu-finetune | Capacity Block: 2 x p5.48xlarge in eu-north-1 |" in md
    assert "blocks: prepaid and non-cancellable until it ends" in md
    assert "(unverified)" in md and "## Provenance" in md and "```yaml" in md
    assert "every stored vector must be re-computed" in md


def _apply(config: dict, snippet: str) -> dict:
    [entry] = yaml.safe_load(snippet)["crosscloud:endpoints"]
    changed = copy.deepcopy(config)
    changed["crosscloud:endpoints"] = [
        entry if e["name"] == entry["name"] else e for e in config["crosscloud:endpoints"]
    ]
    return changed


@pytest.mark.parametrize("stack", STACKS)
def test_every_config_change_moves_its_endpoint(
    stack: str, graphs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Apply each change the plan prints to the stack file: the declaration stays valid and the endpoint is then
    served only by the cloud it moves to, under the same residency set."""
    plan = json.loads(run(capsys, "exit-plan", "--graph", str(graphs[stack]), "-C", str(ROOT), "--format", "json")[1])
    config = stack_config(stack)
    moved = 0
    for cloud, moves in plan["leaving"].items():
        for m in moves:
            if not m["configChange"]:
                continue
            declaration = declaration_from_config(_apply(config, m["configChange"]), f"Pulumi.{stack}.yaml")
            [endpoint] = [e for e in declaration.endpoints if e.name == m["endpoint"]]
            assert not endpoint.serves(cloud) and endpoint.primary != cloud
            other = "azure" if cloud == "aws" else "aws"
            target = endpoint.aws or endpoint.azure
            hosted = endpoint.selfhosted(other)  # a self-hosted fleet: in-region, its pool in the residency set
            assert (target is not None and target.resident_in(declaration.residency)) or (
                hosted is not None and declaration.residency.admits(other, hosted.region)
            )
            moved += 1
    assert moved >= 4


@pytest.mark.parametrize("stack", STACKS)
def test_graph_is_mermaid(stack: str, graphs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, chart, _ = run(capsys, "graph", "--graph", str(graphs[stack]), "-C", str(ROOT))
    assert code == 0 and chart.startswith("flowchart LR\n")
    assert '  subgraph aws["AWS"]' in chart and '  subgraph azure["Azure"]' in chart
    assert re.search(r'c\d+\["aws-bedrock: BedrockAccess \(\d+ resources\)"\]', chart)
    endpoints = [e["name"] for e in stack_config(stack)["crosscloud:endpoints"]]
    for name in endpoints:
        assert f'(["{name}"])' in chart
    assert "-->" in chart and "-.->" in chart  # primary solid, the other cloud dotted
    if stack == "prod":
        assert re.search(r'-->\|"regional swedencentral"\| c\d+', chart)


def test_graph_from_the_stack_and_as_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, md, _ = run(capsys, "graph", "dev", "-C", str(ROOT), "--format", "markdown")
    assert code == 0 and md.startswith("```mermaid\nflowchart LR\n") and md.endswith("```\n")
    assert '-.->|"in-region eu-central-1"|' in md


def test_evidence_commands_refuse_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "exit-plan", "-C", str(ROOT))
    assert code == 2 and "name a STACK or --graph FILE" in err
    code, _, err = run(capsys, "cost", "nosuch", "-C", str(ROOT))
    assert code == 2 and "no such stack file" in err and "Traceback" not in err
    code, _, err = run(capsys, "graph", "dev", "--graph", "x.json", "-C", str(ROOT))
    assert code == 2


def test_provenance_names_the_commit() -> None:
    assert re.fullmatch(r"[0-9a-f]{40}(\+changes)?", git_commit(CHECKOUT)), "the checkout is a git work tree"
    assert git_commit(ROOT).startswith("unknown"), "the test copy is not"


def test_prices_refresh_without_network_fails_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import crosscloud.evidence.refresh as refresh

    def offline(url: str):  # type: ignore[no-untyped-def]
        raise refresh.RefreshError(f"{url}: network is unreachable")

    monkeypatch.setattr(refresh, "http_get", offline)
    code, _, err = run(capsys, "prices", "refresh")
    assert code == 2 and err.count("\n") == 1 and "network is unreachable" in err
    assert load_catalog().prices.rows, "nothing was written"


def test_a_github_environment_changes_the_deploy_subject_on_both_clouds() -> None:
    """A job that names a GitHub environment carries `repo:<repo>:environment:<name>` as its OIDC subject (GitHub's
    OIDC reference), so the deploy role and the branch credential trust that subject when `ci.environment` is set."""
    from crosscloud.components.aws.iam import github_subjects
    from crosscloud.components.azure.identity import github_actions_credentials
    from crosscloud.declaration.spec import GithubCi

    branch = GithubCi(github_repository="acme/ml", branch="main")
    env = GithubCi(github_repository="acme/ml", branch="main", environment="prod")
    assert github_subjects(branch)["ci-deploy"] == "repo:acme/ml:ref:refs/heads/main"
    assert github_subjects(env) == {
        "ci-preview": "repo:acme/ml:pull_request",
        "ci-deploy": "repo:acme/ml:environment:prod",
    }
    subjects = [c.subject for c in github_actions_credentials("acme/ml", "main", "prod")]
    assert subjects == ["repo:acme/ml:environment:prod", "repo:acme/ml:pull_request"]
    assert github_actions_credentials("acme/ml", "main")[0].subject == "repo:acme/ml:ref:refs/heads/main"
