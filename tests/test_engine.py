"""The offline engine: synth fidelity, graph round-trip, and packs that crash, hang or never start."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from crosscloud.declaration import pulumi_config_map, read_stack_file
from crosscloud.engine.analyzer import PackError, run_pack
from crosscloud.engine.graph import UNKNOWN, Graph
from crosscloud.engine.project import Project
from crosscloud.engine.synth import ProgramError, synthesize
from tests.conftest import FIXTURES
from tests.graphs import graph, provider, resource

BROKEN = FIXTURES / "packs"
SMALL = graph([provider("aws", "aws-eu", region="eu-central-1")])


def synth(project: Project, stack: str) -> Graph:
    return synthesize(project, stack, pulumi_config_map(read_stack_file(project.stack_file(stack))))


def test_prod_graph_spans_both_clouds_with_explicit_providers(project: Project) -> None:
    g = synth(project, "prod")
    types = {r.type for r in g.resources}
    assert any(t.startswith("aws:") for t in types) and any(t.startswith("azure-native:") for t in types)
    assert g.resources[0].type == "pulumi:pulumi:Stack"
    providers = {r.urn for r in g.resources if r.type.startswith("pulumi:providers:")}
    custom = [r for r in g.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert custom and all(r.provider in providers for r in custom), "no resource falls back to a default provider"
    [group] = [r for r in g.resources if r.type == "azure-native:resources:ResourceGroup"]
    assert group.protect, "prod protects the resource group"
    assert g.outputs["endpoints"]["chat"]["azure"]["sku"] == "ProvisionedManaged"
    assert g.outputs["aws_vpc_id"] is None, "provider-computed outputs stay unknown"


def test_synth_is_deterministic_and_round_trips(project: Project, tmp_path: Path) -> None:
    first, second = synth(project, "dev"), synth(project, "dev")
    assert first.to_json() == second.to_json()
    path = tmp_path / "graph.json"
    first.write(path)
    assert Graph.read(path).to_json() == first.to_json()
    subnet = next(r for r in first.resources if r.type == "aws:ec2/subnet:Subnet")
    assert subnet.inputs["vpcId"] == UNKNOWN


def test_program_failure_is_a_program_error(project: Project, tmp_path: Path) -> None:
    broken = tmp_path / "__main__.py"
    broken.write_text("import pulumi\nraise ValueError('component bug')\n")
    with pytest.raises(ProgramError, match=r"ValueError: component bug \(at .*__main__.py:2\)"):
        synthesize(Project(project.root, project.name, broken), "dev", {})


@pytest.mark.parametrize(
    ("pack", "problem"),
    [
        ("crashing", r"exited with code 1 before serving: .*RuntimeError: this pack is broken on purpose"),
        ("garbage-port", r"printed 'starting up...' where a port was expected"),
        ("hanging", r"did not answer Analyze within 2s \(hung\? raise --pack-timeout if not\)"),
        ("dies-in-analyze", r"crashed during Analyze \(exit code 7\)"),
    ],
)
def test_broken_packs_fail_loudly(pack: str, problem: str) -> None:
    with pytest.raises(PackError, match=problem) as info:
        run_pack(BROKEN / pack, SMALL, start_timeout=30, rpc_timeout=2)
    assert f"policy pack {pack} " in str(info.value)


def test_a_pack_that_never_prints_a_port_times_out_and_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pidfile = tmp_path / "pid"
    monkeypatch.setenv("CROSSCLOUD_TEST_PIDFILE", str(pidfile))
    started = time.monotonic()
    with pytest.raises(PackError, match=r"printed no port within 3s"):
        run_pack(BROKEN / "no-port", SMALL, start_timeout=3, rpc_timeout=3)
    assert time.monotonic() - started < 20
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_graph_file_errors_are_input_errors(tmp_path: Path) -> None:
    from crosscloud.declaration import DeclarationError

    bad = tmp_path / "g.json"
    bad.write_text("{not json")
    with pytest.raises(DeclarationError, match=r"g.json: line 1: malformed JSON"):
        Graph.read(bad)
    bad.write_text(json.dumps({"project": "p", "stack": "s", "config": {}, "resources": [{"urn": 1}]}))
    with pytest.raises(DeclarationError, match=r"resources\[0\].urn: expected a string, got a number"):
        Graph.read(bad)


def test_provider_reference_resolves_to_provider_inputs() -> None:
    eu = provider("aws", "aws-eu", region="eu-central-1")
    vpc = resource("aws:ec2/vpc:Vpc", "vpc", eu)
    assert graph([eu, vpc]).by_urn()[vpc.provider or ""].inputs["region"] == "eu-central-1"
