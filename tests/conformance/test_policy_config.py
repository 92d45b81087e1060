"""Point 2: policy config is reconciled (schema defaults, initial_config, the file) and validated as the engine does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crosscloud.cli import main
from crosscloud.declaration import DeclarationError
from crosscloud.engine.graph import Graph
from crosscloud.engine.policy_config import (
    PolicyConfig,
    PolicySchema,
    parse_policy_config,
    read_policy_config,
    reconcile,
)
from tests.conformance.helpers import conformance_graph, pack
from tests.conftest import ROOT

SCHEMA = PolicySchema(
    "validator",
    "advisory",
    {"names": {"type": "array", "items": {"type": "string"}, "minItems": 1}, "strict": {"type": "boolean"}},
    ("names",),
)


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "graph.json"
    conformance_graph().write(path)
    return path


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({}, "validator: names is required"),  # the engine's own test: policy_config_schema.go
        ({"names": []}, "validator: names: Array must have at least 1 items"),
        ({"names": ["a"], "strict": "yes"}, "validator: strict: Invalid type. Expected: boolean, given: string"),
        ({"names": ["a", 3]}, "validator: names.1: Invalid type. Expected: string, given: integer"),
    ],
)
def test_validation_messages_are_the_engines(properties: dict[str, object], message: str) -> None:
    _, errors = reconcile([SCHEMA], None, {"validator": PolicyConfig("", properties)})
    assert errors == [message]


def test_reconcile_defaults_then_initial_config_then_file_and_all_sets_only_levels() -> None:
    policies = [
        PolicySchema("a", "mandatory", {"limit": {"type": "integer", "default": 3}, "mode": {"default": "x"}}),
        PolicySchema("b", "advisory"),
    ]
    initial = {"b": PolicyConfig("disabled"), "a": PolicyConfig("advisory", {"mode": "y"})}
    given = {"all": PolicyConfig("mandatory", {"limit": 9}), "a": PolicyConfig("", {"extra": True})}
    result, errors = reconcile(policies, initial, given)
    assert errors == []
    assert result["a"] == PolicyConfig("mandatory", {"limit": 3, "mode": "y", "extra": True})
    assert result["b"] == PolicyConfig("mandatory", None), "'all' applies its level, never its properties"
    assert "all" in result, "the engine passes the 'all' entry on to the pack as well"


def test_the_file_format_matches_the_engine(tmp_path: Path) -> None:
    parsed = parse_policy_config(
        {"environments": ["org/policy-env"], "a": "disabled", "b": {"enforcementLevel": "remediate", "k": 1}, "c": {}},
        "f.json",
    )
    assert parsed.environments == ["org/policy-env"]
    assert parsed.policies == {"a": PolicyConfig("disabled"), "b": PolicyConfig("remediate", {"k": 1})}
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    assert read_policy_config(empty).policies == {}
    for data, message in [
        ({"a": "madatory"}, "f.json: a: 'madatory' is not an enforcement level; allowed: advisory, mandatory"),
        ({"a": {"enforcementLevel": 1}}, "f.json: a.enforcementLevel: 1 is not an enforcement level"),
        ({"a": 3}, "f.json: a: 3 is not a valid value; must be a string or object"),
        ({"environments": "x"}, "f.json: environments: must be an array of ESC environment names"),
    ]:
        with pytest.raises(DeclarationError) as info:
            parse_policy_config(data, "f.json")
        assert str(info.value).startswith(message)


def test_acceptance_invalid_config_exits_2_with_one_line(
    graph_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad.json", {"validator": {"names": []}})
    args = ["check", "--graph", str(graph_file), "-C", str(ROOT), "--policy-pack", str(pack("config"))]
    assert main([*args, "--policy-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{bad}: validator: validating policy config for pack conformance-config 1.0.0: "
        "names: Array must have at least 1 items"
    ]
    assert main(args) == 2, "without config the required `names` is missing"
    assert "names is required" in capsys.readouterr().err


def test_one_file_per_pack_all_sets_only_levels_and_environments_are_accepted(
    graph_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(
        tmp_path,
        "config.json",
        {
            "all": {"enforcementLevel": "mandatory", "mode": "lenient"},
            "validator": {"names": ["role"]},
            "environments": ["acme/policy-settings"],
        },
    )
    second = write(tmp_path, "remediate.json", {"dns-hostnames": "disabled"})
    args = ["check", "--graph", str(graph_file), "-C", str(ROOT), "--format", "json"]
    packs = ["--policy-pack", str(pack("config")), "--policy-pack", str(pack("remediate"))]
    assert main([*args, *packs, "--policy-config", str(first), "--policy-config", str(second)]) == 1
    report = json.loads(capsys.readouterr().out)
    by_policy = {v["policy"]: v for v in report["violations"]}
    assert by_policy["echo"]["enforcementLevel"] == "mandatory"
    assert json.loads(by_policy["echo"]["message"]) == {"config": {"mode": "strict"}}, "defaults, not 'all' props"
    assert (
        by_policy["validator"]["urn"].endswith("::role") and by_policy["validator"]["enforcementLevel"] == "mandatory"
    )
    assert "always-fails" not in by_policy, "the first pack's 'all' does not reach the second pack"
    assert [r["policy"] for r in report["remediations"]] == ["owner-tag"], "the second file disabled dns-hostnames"
    assert any("ESC environments (acme/policy-settings) cannot be opened offline" in n for n in report["notes"])
    assert [p["policyConfig"] for p in report["summary"]["policyPacks"]] == [str(first), str(second)]

    assert main([*args, *packs, "--policy-config", str(first)]) == 2
    assert "--policy-config: -: 1 given for 2 policy packs" in capsys.readouterr().err


def test_the_stack_default_config_file_is_used(
    graph_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    (project / "policies" / "config" / "test").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: conformance\nruntime: python\n")
    (project / "__main__.py").write_text("")
    graph = Graph.read(graph_file)
    graph.tags = {}
    graph.write(project / "graph.json")
    write(project / "policies" / "config" / "test", "conformance-config.json", {"validator": {"names": ["box-vpc"]}})
    args = ["check", "--graph", str(project / "graph.json"), "-C", str(project), "--policy-pack", str(pack("config"))]
    assert main([*args, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [v["urn"].split("::")[-1] for v in report["violations"] if v["policy"] == "validator"] == ["box-vpc"]
