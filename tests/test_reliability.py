"""Engine and CLI contracts of issue 17: a graph file of the wrong shape, bounded files, unsupported runtimes, policy
config mistakes, secrets that never reach a file or terminal, byte-identical synth output, and tests that do not
depend on the working tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crosscloud.cli import main
from crosscloud.engine import graph as graph_module
from crosscloud.engine import policy_config
from tests.conftest import CHECKOUT, FIXTURES, ROOT, copy_project
from tests.graphs import graph, provider

PLAINTEXT = "hunter2-plaintext"
ONE_PACK = ("--policy-pack", str(ROOT / "policies" / "residency"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def graph_json(tmp_path: Path) -> dict[str, Any]:
    g = graph([provider("aws", "aws-eu", region="eu-central-1")])
    return g.to_json()


def check_graph_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, data: Any) -> tuple[int, str, str]:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    pack = FIXTURES / "packs" / "conformance-observe"
    return run(capsys, "check", "--graph", str(path), "-C", str(ROOT), "--policy-pack", str(pack))


# -- class 2: wrong field types in a graph file ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        ("resources.0.dependencies", "urn:a", "resources[0].dependencies"),
        ("resources.0.dependencies", [1], "resources[0].dependencies[0]"),
        ("resources.0.customTimeouts", {"create": "10m"}, "resources[0].customTimeouts.create"),
        ("resources.0.protect", "yes", "resources[0].protect"),
        ("resources.0.custom", 1, "resources[0].custom"),
        ("resources.0.parent", 7, "resources[0].parent"),
        ("resources.0.propertyDependencies", {"a": "urn"}, "resources[0].propertyDependencies.a"),
        ("resources.0.outputs", [], "resources[0].outputs"),
        ("resources.0.inputs", {"a": float("nan")}, "resources[0].inputs.a"),
        ("resources.0", "x", "resources[0]"),
        ("config", {"a:b": 3}, "config.a:b"),
        ("tags", ["x"], "tags"),
        ("secretKeys", "k", "secretKeys"),
        ("outputs", 3, "outputs"),
        ("notes", ["ok", 1], "notes[1]"),
        ("stack", "a::b c", "stack"),
        ("project", "../x", "project"),
    ],
)
def test_a_wrong_field_type_in_a_graph_file_is_exit_2_naming_its_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, graph_json: dict[str, Any], where: str, value: Any, path: str
) -> None:
    target: Any = graph_json
    *parents, last = where.split(".")
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    code, _out, err = check_graph_file(capsys, tmp_path, graph_json)
    assert code == 2
    assert f": {path}: " in one_line(err)


def test_graph_nesting_too_deep_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, graph_json: dict[str, Any]
) -> None:
    path = tmp_path / "graph.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, _out, err = run(capsys, "check", "--graph", str(path), "-C", str(ROOT))
    assert code == 2 and "nested too deep" in one_line(err)
    deep: Any = "x"
    for _ in range(100):
        deep = {"a": deep}
    graph_json["resources"][0]["inputs"] = {"deep": deep}
    code, _out, err = check_graph_file(capsys, tmp_path, graph_json)
    assert code == 2 and "levels deep" in one_line(err)


@pytest.mark.parametrize("content", [b"\xff\xfe{}", b""])
def test_a_graph_file_that_is_not_utf8_json_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "graph.json"
    path.write_bytes(content)
    code, _out, err = run(capsys, "check", "--graph", str(path), "-C", str(ROOT))
    assert code == 2 and str(path) in one_line(err)


def test_graph_and_policy_config_files_are_bounded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_module, "MAX_GRAPH_BYTES", 1024)
    monkeypatch.setattr(policy_config, "MAX_POLICY_CONFIG_BYTES", 1024)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"x": "y" * 2048}), encoding="utf-8")
    code, _out, err = run(capsys, "check", "--graph", str(big), "-C", str(ROOT))
    assert code == 2 and "larger than" in one_line(err)
    code, _out, err = run(capsys, "check", "dev", "-C", str(ROOT), *ONE_PACK, "--policy-config", str(big))
    assert code == 2 and "larger than" in one_line(err)
    code, _out, err = run(capsys, "check", "--graph", str(tmp_path), "-C", str(ROOT))
    assert code == 2 and "is a directory" in one_line(err)


# -- class 2: policy config mistakes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"all": 5}, "is not a valid value"),
        ({"all": {"enforcementLevel": 3}}, "is not an enforcement level"),
        ({"all": {"enforcementLevel": ["mandatory"]}}, "is not an enforcement level"),
        ({"no-such-policy": {"anything": 1}}, "not a policy of pack"),
        ({"validator": {"names": ["a"]}, "validatr": "mandatory"}, "validatr: not a policy of pack conformance-config"),
        ({"environments": "dev"}, "must be an array"),
        (
            {"validator": {"names": ["a"], "nmes": ["b"]}},
            "validator.nmes: is not a config property of policy validator",
        ),
    ],
)
def test_a_wrong_policy_config_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, config: dict[str, Any], expected: str
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"validator": {"names": ["a"]}, **config}), encoding="utf-8")
    g = tmp_path / "graph.json"
    graph([provider("aws", "aws-eu", region="eu-central-1")]).write(g)
    pack = FIXTURES / "packs" / "conformance-config"
    code, _out, err = run(
        capsys, "check", "--graph", str(g), "-C", str(ROOT), "--policy-pack", str(pack), "--policy-config", str(path)
    )
    assert code == 2, err
    assert expected in err and "Traceback" not in err


def test_a_policy_config_that_is_not_utf8_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(b'{"all": "\xff"}')
    code, _out, err = run(capsys, "check", "dev", "-C", str(ROOT), *ONE_PACK, "--policy-config", str(path))
    assert code == 2 and "not UTF-8" in one_line(err)


# -- class 10: runtimes ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("runtime", ["nodejs", "{name: go}", "yaml", "dotnet"])
def test_a_non_python_project_is_an_unsupported_runtime(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, runtime: str
) -> None:
    root = copy_project(tmp_path / "project")
    manifest = root / "Pulumi.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "runtime:\n  name: python", f"runtime: {runtime}\nx:\n  name: python"
        ),
        encoding="utf-8",
    )
    (root / "index.ts").write_text("export const x = 1;\n", encoding="utf-8")
    code, _out, err = run(capsys, "synth", "dev", "-C", str(root))
    assert code == 2
    assert "unsupported runtime" in one_line(err) and "Pulumi.yaml: runtime:" in err


def test_a_pulumi_yaml_alias_bomb_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    bomb = "\n".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9))
    (root / "Pulumi.yaml").write_text("l0: &l0 [x]\n" + bomb + "\nname: crosscloud\nmain: stacks/\n", encoding="utf-8")
    code, _out, err = run(capsys, "synth", "dev", "-C", str(root))
    assert code == 2 and "Pulumi.yaml" in one_line(err)


# -- class 3: secrets ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def secret_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with a program that passes a secret input to a resource and exports a secret output."""
    root = copy_project(tmp_path_factory.mktemp("secret") / "project")
    (root / "stacks" / "__main__.py").write_text(
        "import pulumi\n"
        "import pulumi_aws as aws\n"
        "eu = aws.Provider('eu', region='eu-central-1')\n"
        f"token = pulumi.Output.secret({PLAINTEXT!r})\n"
        "aws.ssm.Parameter('p', type='SecureString', value=token, opts=pulumi.ResourceOptions(provider=eu))\n"
        "pulumi.export('token', token)\n"
        "pulumi.export('plain', 'visible')\n",
        encoding="utf-8",
    )
    return root


def test_synth_writes_no_secret_plaintext(capsys: pytest.CaptureFixture[str], secret_project: Path) -> None:
    code, out, _err = run(capsys, "synth", "dev", "-C", str(secret_project))
    assert code == 0
    assert PLAINTEXT not in out
    data = json.loads(out)
    [parameter] = [r for r in data["resources"] if r["type"] == "aws:ssm/parameter:Parameter"]
    assert parameter["inputs"]["value"] == {
        graph_module.SECRET_SIG_KEY: graph_module.SECRET_SIG,
        "value": "[secret]",
    }, "still a secret, its value concealed"
    assert data["outputs"] == {"plain": "visible", "token": "[secret]"}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_reports_and_graph_out_print_no_secret(
    capsys: pytest.CaptureFixture[str], secret_project: Path, tmp_path: Path, fmt: str
) -> None:
    graph_out = tmp_path / "analysed.json"
    pack = FIXTURES / "packs" / "config-size"
    code, out, err = run(
        capsys,
        "check",
        "dev",
        "-C",
        str(secret_project),
        "--policy-pack",
        str(pack),
        "--format",
        fmt,
        "--graph-out",
        str(graph_out),
    )
    assert code in (0, 1), err
    assert PLAINTEXT not in out + err
    assert PLAINTEXT not in graph_out.read_text(encoding="utf-8")
    code, out, err = run(capsys, "preview", "dev", "-C", str(secret_project), "--policy-pack", str(pack))
    assert code in (0, 1), err
    assert PLAINTEXT not in out + err
    assert "token: [secret]" in out and "plain: visible" in out


def test_config_keys_marked_secret_are_concealed_in_graph_files(tmp_path: Path) -> None:
    g = graph([])
    g.config["crosscloud:token"] = PLAINTEXT
    g.secret_keys = ["crosscloud:token"]
    g.write(tmp_path / "g.json")
    assert PLAINTEXT not in (tmp_path / "g.json").read_text(encoding="utf-8")


# -- class 9: the same program yields the same bytes ----------------------------------------------------------------
def test_synth_output_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "4242"):
        path = tmp_path / f"graph-{seed}.json"
        subprocess.run(
            [sys.executable, "-m", "crosscloud.cli", "synth", "prod", "-C", str(ROOT), "-o", str(path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            timeout=300,
        )
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0])
    with_dependencies = [r for r in data["resources"] if len(r["dependencies"]) > 1]
    assert with_dependencies, "the graph has dependency lists whose order could vary"
    assert all(r["dependencies"] == sorted(r["dependencies"]) for r in with_dependencies)


# -- deliver 4: tests do not depend on the working tree --------------------------------------------------------------
def test_tests_run_on_a_copy_of_the_project() -> None:
    assert ROOT != CHECKOUT and not ROOT.is_relative_to(CHECKOUT)
    assert sorted(p.name for p in ROOT.glob("Pulumi.*.yaml")) == ["Pulumi.dev.yaml", "Pulumi.prod.yaml"]


def test_a_stray_stack_file_in_a_checkout_does_not_change_the_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A user's own Pulumi.staging.yaml (here broken on purpose) sits in a checkout: the copy tests use ignores it."""
    checkout = copy_project(tmp_path / "checkout")
    (checkout / "Pulumi.staging.yaml").write_text("config: [broken\n", encoding="utf-8")
    session = copy_project(tmp_path / "session")  # what conftest does with the checkout
    assert not (session / "Pulumi.staging.yaml").exists()
    code, _out, err = run(capsys, "preview", "staging", "-C", str(session))
    assert code == 2 and "no such stack file; stacks here: dev, prod" in err
