"""No secret in any output (issues 22.8 and 23.2). Every kind of key material the project refuses, and secrets with a
backslash, a quote or a newline, go down every path a secret takes (a crosscloud:tags value or key, a secret exemption
tag a rule quotes, a secret environment variable a rule quotes, secret config, a pack that crashes quoting its input),
and every output channel is searched for them: stderr, stdout, each report format, the graph files.

A search looks for the secret, its JSON- and repr-escaped forms, and every 12-character run of it, so a truncated
or re-escaped copy counts as a leak too. Each test also proves the path is live: a rule did quote the value (its
message holds "[secret]" where the value stood), so a test cannot pass because nothing was quoted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosscloud.cli import main
from crosscloud.declaration.secrets import looks_like_key_material
from crosscloud.engine.graph import SECRET_SIG, SECRET_SIG_KEY, Graph
from tests.conftest import ROOT, copy_project, stack_config
from tests.graphs import graph, provider, resource

# Each kind of key material crosscloud.declaration.secrets refuses.
KEY_MATERIAL = {
    "aws-access-key-id": "AKIAQ3EGRZLTSJXK7WVB",
    "aws-secret-access-key": "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",
    "azure-account-key": "Zm9vYmFyQmF6cXV4" + "A1b2C3d4E5f6G7h8" * 4 + "Qw3rTy==",
    # The payload's subject is not the project's name: base64 of "crosscloud" also occurs in the stack's own
    # base64 boot documents (GPU user data), which the 12-character runs below would take for a leak.
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrLXRlc3QifQ.Q7mVx2bK9pLr4TnUy8Zw1aEs5Dc3Fv6Gh0Jk",
    "private-key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAzq8Yp2Lr4TnUy8Zw1aEs5Dc3Fv6Gh0JkQ7mVx2bK9pLr\n"
    "-----END RSA PRIVATE KEY-----",
    "connection-string": "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=Qw3rTy7uIo9pAs1dFg5hJk2LzXcVbNm",
    "sas-token": "sv=2024-08-04&ss=b&sig=Qw3rTy7uIo9pAs1dFg5hJk2LzXcVbNm%3D",
    "github-token": "ghp_Qw3rTy7uIo9pAs1dFg5hJk2LzXcVbNm4Q7mVx",
}
# Secrets a naive redaction misses once a message escapes or folds them.
TRICKY = {
    "backslash": "C:\\secrets\\vault-7f3a9c",
    "quotes": "pa'ss\"word-7f3a9c-x",
    "newline": "first-line-7f3a9c\nsecond-line-b81e",
}
SECRETS = {**KEY_MATERIAL, **TRICKY}
OUTSIDE_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"  # leaves 'eu': bedrock-profile-prefix-allowed quotes it


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def forms(value: str) -> set[str]:
    """The secret as it could appear: verbatim, escaped, whitespace-folded, and every 12-character run of it."""
    found = {value, json.dumps(value)[1:-1], repr(value)[1:-1], " ".join(value.split())}
    found |= {value[i : i + 12] for i in range(len(value) - 11)}
    return {f for f in found if f.strip("-\n ")}


def assert_no_leak(channel: str, text: str, secrets: dict[str, str] = SECRETS) -> None:
    for name, value in secrets.items():
        leaked = sorted(f for f in forms(value) if f in text)
        assert not leaked, f"{name} leaked into {channel}: {leaked[:3]}"


def test_every_kind_is_key_material_and_the_search_can_find_a_leak() -> None:
    assert all(looks_like_key_material(v) for v in KEY_MATERIAL.values())
    with pytest.raises(AssertionError, match="leaked"):
        assert_no_leak("a channel", f"message quoting {KEY_MATERIAL['jwt'][:20]}...")


# -- a crosscloud:tags value or key: stderr ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(KEY_MATERIAL))
@pytest.mark.parametrize("where", ["value", "key"])
def test_key_material_in_tags_never_reaches_stderr(
    name: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value = KEY_MATERIAL[name]
    config = stack_config()
    config["crosscloud:tags"] = {"owner": "ml-platform", **({"token": value} if where == "value" else {value: "x"})}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    assert main(["synth", "dev", "-C", str(ROOT), "--config-file", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_no_leak("stderr", captured.err, {name: value})
    line = captured.err.strip()
    assert line.startswith(f"{path}: crosscloud:tags") and "\n" not in line
    assert "looks like key material" in line or "should match pattern" in line
    assert "'owner'" not in line or where == "key", "the message quotes the key at fault, never the whole map"


# -- secret inputs a rule quotes, and secret config: every report format, the graph file, stderr ---------------------
def leaky_graph() -> Graph:
    """One function per secret: a secret exemption tag that is malformed (exemption-valid quotes it), one in force
    (exemptions-in-force quotes its reason), the secret as a secret environment variable, and a secret environment
    variable holding a model ID that leaves the residency set (bedrock-profile-prefix-allowed quotes it). Plus the
    secrets as secret config."""
    eu = provider("aws", "aws-eu", region="eu-central-1")
    in_force = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    functions = [
        resource(
            "aws:lambda/function:Function",
            f"fn-{name}",
            eu,
            role="arn:aws:iam::123456789012:role/worker",
            runtime="python3.12",
            environment={"variables": {"MODEL_ID": secret(OUTSIDE_MODEL), "API_TOKEN": secret(value)}},
            tags={
                "owner": "ml-platform",
                "crosscloud:exempt:required-tags": secret(f"someday:{value}"),
                "crosscloud:exempt:aws-region-allowed": secret(f"{in_force}:{value} (reviewed)"),
            },
        )
        for name, value in SECRETS.items()
    ]
    g = graph([eu, *functions])
    for name, value in SECRETS.items():
        g.config[f"app:{name}"] = value
    g.secret_keys = [f"app:{name}" for name in SECRETS]
    return g


def write_graph(g: Graph, path: Path) -> Path:
    """A graph file as a user could hand one over: secrets in plaintext inside their wire markers."""
    data = g.to_json()
    for raw, resource_ in zip(data["resources"], g.resources, strict=True):
        raw["inputs"] = resource_.inputs
    data["config"] = g.config
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_secret_inputs_and_config_leave_no_trace_in_any_report_or_graph_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_graph(leaky_graph(), tmp_path / "leaky.json")
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in ("text", "json", "markdown", "sarif")}
    graph_out = tmp_path / "analysed.json"
    code = main(
        [
            "check",
            "--graph",
            str(source),
            "-C",
            str(ROOT),
            "--format",
            "text",
            *(arg for fmt, path in reports.items() for arg in ("--report", f"{fmt}={path}")),
            "--graph-out",
            str(graph_out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1, captured.err
    channels = {"stdout": captured.out, "stderr": captured.err, "--graph-out": graph_out.read_text(encoding="utf-8")}
    channels |= {f"--report {fmt}": path.read_text(encoding="utf-8") for fmt, path in reports.items()}
    for channel, text in channels.items():
        assert_no_leak(channel, text)
        assert_no_leak(channel, text, {"model": OUTSIDE_MODEL})
    # The paths are live: each rule quoted the secret, and "[secret]" stands where it was.
    violations = json.loads(channels["--report json"])["violations"]
    quoted = {(v["policy"], v["urn"].rsplit("::", 1)[1]) for v in violations if "[secret]" in v["message"]}
    for name in SECRETS:
        assert ("exemption-valid", f"fn-{name}") in quoted, name
        if "\n" not in SECRETS[name]:  # a reason must be one line, else the exemption is malformed (above)
            assert ("exemptions-in-force", f"fn-{name}") in quoted, name
        assert ("bedrock-profile-prefix-allowed", f"fn-{name}") in quoted, name
    assert "[secret]" in channels["stdout"] and "\\[secret\\]" in channels["--report markdown"]


def test_a_pack_that_crashes_quoting_a_secret_leaks_nothing_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "quotes-and-crashes"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("description: quotes its input, then crashes\nruntime: python\n")
    (pack / "__main__.py").write_text(
        "import os\n"
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy\n"
        "def validate(args, report_violation):\n"
        "    env = args.props.get('environment')\n"
        "    if env:\n"
        "        import sys\n"
        "        print('Traceback (most recent call last):', file=sys.stderr)\n"
        "        print(f\"RuntimeError: cannot parse {env['variables']['MODEL_ID']!r}\", file=sys.stderr, flush=True)\n"
        "        os._exit(9)\n"
        "PolicyPack(name='quotes-and-crashes', enforcement_level=EnforcementLevel.MANDATORY,\n"
        "           policies=[ResourceValidationPolicy(name='crash', description='crashes', validate=validate)])\n",
        encoding="utf-8",
    )
    source = write_graph(leaky_graph(), tmp_path / "leaky.json")
    assert main(["check", "--graph", str(source), "-C", str(ROOT), "--policy-pack", str(pack)]) == 3
    captured = capsys.readouterr()
    assert "crashed during Analyze (exit code 9)" in captured.err and "RuntimeError: cannot parse" in captured.err
    assert "[secret]" in captured.err, "the pack did quote the secret"
    assert_no_leak("stderr", captured.err)


# -- a real program's secrets: preview, every --report, --graph-out ----------------------------------------------------
@pytest.fixture(scope="module")
def leaky_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped project, whose program also registers a function with a secret exemption tag and a secret
    environment variable (pulumi.Output.secret), one per secret."""
    root = copy_project(tmp_path_factory.mktemp("leaky") / "project")
    lines = [
        "import pulumi as _pulumi",
        "import pulumi_aws as _aws",
        "_eu = _aws.Provider('leaky-eu', region='eu-central-1')",
    ]
    for i, value in enumerate(SECRETS.values()):
        lines.append(
            f"_aws.lambda_.Function('leaky-{i}', role='arn:aws:iam::123456789012:role/w', runtime='python3.12', "
            "handler='a.b', s3_bucket='b', s3_key='k', "
            f"environment={{'variables': {{'MODEL_ID': _pulumi.Output.secret({OUTSIDE_MODEL!r}), "
            f"'API_TOKEN': _pulumi.Output.secret({value!r})}}}}, "
            f"tags={{'owner': 'x', 'crosscloud:exempt:required-tags': _pulumi.Output.secret({'someday:' + value!r})}}, "
            "opts=_pulumi.ResourceOptions(provider=_eu))"
        )
    program = root / "stacks" / "__main__.py"
    program.write_text(program.read_text(encoding="utf-8") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_preview_of_a_program_with_secrets_leaks_nothing(
    leaky_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in ("text", "json", "markdown", "sarif")}
    graph_out = tmp_path / "analysed.json"
    code = main(
        [
            "preview",
            "dev",
            "-C",
            str(leaky_project),
            *(arg for fmt, path in reports.items() for arg in ("--report", f"{fmt}={path}")),
            "--graph-out",
            str(graph_out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err  # dev is advisory
    channels = {"stdout": captured.out, "stderr": captured.err, "--graph-out": graph_out.read_text(encoding="utf-8")}
    channels |= {f"--report {fmt}": path.read_text(encoding="utf-8") for fmt, path in reports.items()}
    for channel, text in channels.items():
        assert_no_leak(channel, text)
        assert_no_leak(channel, text, {"model": OUTSIDE_MODEL})
    violations = json.loads(channels["--report json"])["violations"]
    quoted = {v["urn"].rsplit("::", 1)[1] for v in violations if v["policy"] == "exemption-valid"}
    assert quoted >= {f"leaky-{i}" for i in range(len(SECRETS))}
    assert all("[secret]" in v["message"] for v in violations if v["policy"] == "exemption-valid")
    synth_out = tmp_path / "synth.json"
    assert main(["synth", "dev", "-C", str(leaky_project), "-o", str(synth_out)]) == 0
    assert_no_leak("synth -o", synth_out.read_text(encoding="utf-8"))


# -- committed files that are symlinks out of the project -------------------------------------------------------------
def test_a_stack_file_linking_out_of_the_project_is_refused_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project(tmp_path / "project")
    outside = tmp_path / "home" / "credentials.yaml"
    outside.parent.mkdir()
    outside.write_text(f"config:\n  crosscloud:residency: {KEY_MATERIAL['github-token']}\n  :: broken\n")
    (root / "Pulumi.stolen.yaml").symlink_to(outside)
    assert main(["synth", "stolen", "-C", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"{root / 'Pulumi.stolen.yaml'}: -: is a stack file that links outside the project; " + (
        "crosscloud reads only files inside it"
    )
    assert str(outside) not in err and "home" not in err
    assert_no_leak("stderr", err)
    # a link that stays inside the project is an ordinary file
    (root / "Pulumi.alias.yaml").symlink_to(root / "Pulumi.dev.yaml")
    assert main(["synth", "alias", "-C", str(root), "-o", str(tmp_path / "g.json")]) == 0, capsys.readouterr().err


def test_a_policy_config_linking_out_of_the_project_is_refused_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project(tmp_path / "project")
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps({"all": KEY_MATERIAL["aws-access-key-id"]}))
    config = root / "policies" / "config" / "dev" / "residency.json"
    config.unlink()
    config.symlink_to(outside)
    assert main(["check", "dev", "-C", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"{config}: -: is a policy config file that links outside the project; " + (
        "crosscloud reads only files inside it"
    )
    assert str(outside) not in err
    assert_no_leak("stderr", err)


def test_no_secret_reaches_the_environment_of_a_report_path_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unwritable report path is refused before the run: nothing of the graph is printed with it."""
    source = write_graph(leaky_graph(), tmp_path / "leaky.json")
    target = tmp_path / "no-such-folder" / "r.md"
    assert main(["check", "--graph", str(source), "-C", str(ROOT), "--report", f"markdown={target}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    assert_no_leak("stderr", err)
    assert not os.path.exists(target)
