"""Points 1 to 6 through real pack processes: what the conformance packs report is what they were sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crosscloud.cli import main
from crosscloud.engine.check import PackRun, check_graph
from crosscloud.engine.graph import Graph
from crosscloud.engine.violations import CheckResult
from tests.conformance.helpers import (
    BOX_URN,
    ROLE_URN,
    STACK_URN,
    VPC_URN,
    conformance_graph,
    echoed,
    pack,
    reported,
)
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def graph() -> Graph:
    return conformance_graph()


@pytest.fixture(scope="module")
def result(graph: Graph) -> CheckResult:
    packs = [PackRun(pack("remediate")), PackRun(pack("remediate-after")), PackRun(pack("observe"))]
    return check_graph(graph, packs, organization="acme", start_timeout=60, rpc_timeout=60)


def test_remediations_run_before_analyze_one_pack_after_another(graph: Graph, result: CheckResult) -> None:
    done = [(r.policy_pack, r.policy, r.changed) for r in result.remediations]
    assert done == [
        ("conformance-remediate", "owner-tag", ["tags"]),  # validate+remediate at level remediate
        ("conformance-remediate", "dns-hostnames", ["enableDnsHostnames"]),  # remediate-only
        ("conformance-remediate-after", "reviewed", ["tags"]),  # the second pack sees the first one's result
    ]
    assert all(r.urn == VPC_URN for r in result.remediations)
    owner = result.remediations[0]
    assert owner.before == {"tags": {"Name": "box-vpc"}}
    assert owner.after == {"tags": {"Name": "box-vpc", "owner": "platform"}}  # the schema default
    assert result.graph is not None
    assert result.graph.by_urn()[VPC_URN].inputs["tags"] == {
        "Name": "box-vpc",
        "owner": "platform",
        "reviewed-by": "platform",
    }
    assert "owner" not in graph.by_urn()[VPC_URN].inputs["tags"], "the input graph is left as synthesized"
    # Analyze and AnalyzeStack saw the remediated inputs, and initial_config disabled always-fails.
    silent = {"owner-tag", "always-fails", "stack-sees-remediation", "review-present"}
    assert not [v for v in result.violations if v.policy in silent]
    assert not result.mandatory


def test_a_pack_sees_the_options_provider_tags_organization_and_config(result: CheckResult) -> None:
    [vpc] = [echoed(v) for v in reported(result, "observe", VPC_URN)]
    assert vpc["opts"] == {
        "protect": True,
        "deleteBeforeReplace": True,
        "aliases": [],  # the engine sends only an alias that matched the stack's state: none at a first preview
        "customTimeouts": [600.0, 0.0, 5400.0],
        "additionalSecretOutputs": ["arn"],
        "parent": BOX_URN,
    }
    assert vpc["provider"]["name"] == "explicit" and vpc["provider"]["version"]
    [role] = [echoed(v) for v in reported(result, "observe", ROLE_URN)]
    assert role["opts"]["deleteBeforeReplace"] is None, "deleteBeforeReplaceDefined is false when unset"
    assert role["provider"]["name"].startswith("default_") and role["provider"]["region"] == "eu-central-1"
    assert role["stackTags"]["team"] == "platform" and role["stackTags"]["pulumi:project"] == "conformance"
    assert (role["organization"], role["project"], role["stack"]) == ("acme", "conformance", "test")
    assert json.loads(role["settings"]) == {"alpha": "<1 & 2>", "list": [3, 1], "zone": "b"}
    assert role["token"] is None, "a secure value the offline path cannot decrypt is absent, never its ciphertext"
    assert (role["greeting"], role["limit"]) == ("hello from Pulumi.yaml", "3")


def test_stack_policies_see_outputs_and_computed_values_read_as_unknown(result: CheckResult) -> None:
    outputs = reported(result, "stack-outputs")
    assert all(v.urn == STACK_URN for v in outputs), "a stack violation without a URN resolves to the stack"
    assert echoed(outputs[0]) == {"cidr": "10.0.0.0/16", "greeting": "hello from Pulumi.yaml"}
    assert "string value at .vpcArn can't be known during preview" in outputs[1].message
    [arn] = reported(result, "computed-arn")
    assert arn.enforcement_level == "advisory" and "value at .arn can't be known during preview" in arn.message


def test_an_auto_named_name_reads_as_unknown(result: CheckResult) -> None:
    [name] = reported(result, "name-known", ROLE_URN)
    assert name.enforcement_level == "advisory" and "value at .name can't be known during preview" in name.message
    assert any("`name` is unknown on role" in note for note in result.notes)


def test_acceptance_remediated_pack_passes_with_exit_0(
    graph: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph_file = tmp_path / "graph.json"
    graph.write(graph_file)
    args = ["check", "--graph", str(graph_file), "-C", str(ROOT), "--policy-pack", str(pack("remediate"))]
    assert main([*args, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["policy"] for r in report["remediations"]] == ["owner-tag", "dns-hostnames"]
    assert report["remediations"][0]["after"] == {"tags": {"Name": "box-vpc", "owner": "platform"}}
    assert report["violations"] == [] and report["summary"]["remediations"] == 2
    analysed = tmp_path / "analysed.json"
    assert main([*args, "--graph-out", str(analysed)]) == 0
    vpc = Graph.read(analysed).by_urn()[VPC_URN]
    assert vpc.inputs["tags"]["owner"] == "platform" and vpc.inputs["enableDnsHostnames"] is True
    assert vpc.remediated_by == ["conformance-remediate/owner-tag", "conformance-remediate/dns-hostnames"]
    text = capsys.readouterr().out
    assert "[remediated] conformance-remediate/owner-tag: box-vpc: VPCs carry the owner tag" in text
    assert 'tags: {"Name": "box-vpc"} => {"Name": "box-vpc", "owner": "platform"}' in text
    assert "enableDnsHostnames: (absent) => true" in text
