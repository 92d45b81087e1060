"""Points 4, 5 and 6 on the recording side: the graph holds what the engine would hand to packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crosscloud.declaration import DeclarationError, read_stack_file
from crosscloud.engine.config import engine_config, go_json, merge_project_config
from crosscloud.engine.graph import SECRET_SIG_KEY, UNKNOWN, Graph
from crosscloud.engine.project import find_project
from crosscloud.engine.synth import ProgramError, default_provider_name, go_duration_seconds
from tests.conformance.helpers import BOX_URN, PROGRAM, ROLE_URN, STACK_URN, VPC_URN, conformance_graph


@pytest.fixture(scope="module")
def graph() -> Graph:
    return conformance_graph()


def test_urns_match_the_engine(graph: Graph) -> None:
    assert {STACK_URN, VPC_URN, ROLE_URN, BOX_URN} <= set(graph.by_urn()), "the Stack's children carry no Stack type"
    assert not any("pulumi:pulumi:Stack$" in r.urn for r in graph.resources)


def test_default_provider_and_provider_version(graph: Graph) -> None:
    role = graph.by_urn()[ROLE_URN]
    assert role.provider is not None
    default = graph.by_urn()[role.provider]
    version = default.inputs["version"]
    assert default.urn == f"urn:pulumi:test::conformance::pulumi:providers:aws::{default_provider_name(version)}"
    assert default.name.startswith("default_") and default.parent is None
    assert default.inputs["region"] == "eu-central-1", "the stack's aws:region wins over Pulumi.yaml's"
    explicit = graph.by_urn()["urn:pulumi:test::conformance::pulumi:providers:aws::explicit"]
    assert explicit.inputs["version"] == version, "the engine adds the plugin version to a provider's inputs"


def test_resource_options_are_recorded(graph: Graph) -> None:
    vpc, role = graph.by_urn()[VPC_URN], graph.by_urn()[ROLE_URN]
    assert vpc.delete_before_replace is True and role.delete_before_replace is None
    assert vpc.aliases == ["urn:pulumi:test::conformance::conformance:index:Box$aws:ec2/vpc:Vpc::old-vpc"]
    assert vpc.custom_timeouts == {"create": 600.0, "delete": 5400.0}
    assert vpc.additional_secret_outputs == ["arn"] and vpc.protect


def test_outputs_component_stack_and_computed(graph: Graph) -> None:
    by_urn = graph.by_urn()
    assert by_urn[BOX_URN].outputs == {"cidr": "10.0.0.0/16", "vpcArn": UNKNOWN}
    stack = by_urn[STACK_URN].stack_properties()
    assert stack["greeting"] == "hello from Pulumi.yaml" and stack["vpcId"] == UNKNOWN
    assert SECRET_SIG_KEY in stack["secretNote"], "a secret export stays a secret"
    vpc = by_urn[VPC_URN]
    assert "arn" in vpc.computed and "arn" not in vpc.inputs
    assert vpc.stack_properties()["arn"] == UNKNOWN and vpc.stack_properties()["cidrBlock"] == "10.0.0.0/16"


def test_auto_named_name_is_unknown_and_noted(graph: Graph) -> None:
    assert graph.by_urn()[ROLE_URN].inputs["name"] == UNKNOWN
    assert "name" not in graph.by_urn()[VPC_URN].inputs, "a Vpc has no name input to auto-name"
    assert any("`name` is unknown on role" in note for note in graph.notes)


def test_config_is_merged_serialised_as_the_engine_does_and_secure_values_never_leak(graph: Graph) -> None:
    assert graph.config["conformance:greeting"] == "hello from Pulumi.yaml"  # Pulumi.yaml short-form default
    assert graph.config["conformance:limit"] == "3"  # typed default
    assert graph.config["aws:region"] == "eu-central-1"  # the stack wins
    assert graph.config["conformance:settings"] == '{"alpha":"\\u003c1 \\u0026 2\\u003e","list":[3,1],"zone":"b"}'
    assert graph.config["pulumi:tags"] == '{"team":"platform"}'
    assert "conformance:token" not in graph.config and graph.secret_keys == ["conformance:token"]
    assert "ciphertext" not in json.dumps(graph.to_json())
    assert any("conformance:token is a secure value" in note for note in graph.notes)
    assert graph.tags == {
        "pulumi:project": "conformance",
        "pulumi:runtime": "python",
        "pulumi:description": "offline engine conformance program",
        "team": "platform",
    }


def test_graph_round_trips(graph: Graph, tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    graph.write(path)
    assert Graph.read(path).to_json() == graph.to_json()


def test_disabled_default_providers_fail_like_the_engine() -> None:
    project = find_project(PROGRAM)
    config = read_stack_file(project.stack_file("test"))
    config["pulumi:disable-default-providers"] = ["aws"]
    with pytest.raises(ProgramError, match=r"Default provider for 'aws' disabled. '.*::role' must use an explicit"):
        conformance_graph(config)


def test_engine_helpers() -> None:
    assert go_json({"b": [1, True, None], "a": "x<y"}) == '{"a":"x\\u003cy","b":[1,true,null]}'
    assert engine_config({"k:flag": True, "k:n": 7, "k:s": "v", "k:sec": {"secure": "v1:x"}}).values == {
        "k:flag": "true",
        "k:n": "7",
        "k:s": "v",
    }
    assert default_provider_name("7.51.1") == "default_7_51_1"
    assert default_provider_name("1.2.3-alpha.1+build.5") == "default_1_2_3_alpha_1_build_5"
    assert go_duration_seconds("1h30m") == 5400 and go_duration_seconds("250ms") == 0.25
    with pytest.raises(ProgramError, match="unable to parse customTimeout Value 10 minutes"):
        go_duration_seconds("10 minutes")


def test_a_required_project_key_missing_from_the_stack_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nconfig:\n  needed:\n    type: string\n")
    (tmp_path / "__main__.py").write_text("")
    with pytest.raises(DeclarationError, match=r"Pulumi.s.yaml: p:needed: required by Pulumi.yaml"):
        merge_project_config(find_project(tmp_path), {}, "Pulumi.s.yaml")
