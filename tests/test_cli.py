"""The `crosscloud` command end to end: exit codes, outputs and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crosscloud.cli import main
from tests.conftest import FIXTURES, ROOT, stack_config

# Tests that pass one --policy-config name the one pack it configures (the CLI pairs configs with packs).
ONLY_RESIDENCY = ("--policy-pack", str(ROOT / "policies" / "residency"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crosscloud.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_preview_dev_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "dev", "-C", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "crosscloud:aws:Network  aws-network" in out and "crosscloud:azure:Network  azure-network" in out
    assert "aws: 64" in out and "azure: 37" in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("[")], "a clean stack shows no finding"
    assert "No policy violations in 114 resources." in out
    assert "deferred to `pulumi up`" not in out, "every dev document is known at preview"
    assert "invoke_id': 'openai.gpt-oss-120b-1:0'" in out


def test_synth_prod_then_check_graph_matches_preview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph_file = tmp_path / "graph.json"
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps({"aws-region-allowed": {"residency": "us"}, "azure-location-allowed": {"residency": "us"}})
    )
    assert main(["synth", "prod", "-C", str(ROOT), "-o", str(graph_file)]) == 0
    data = json.loads(graph_file.read_text())
    assert {"project", "stack", "config", "resources"} <= set(data)
    assert set(data["resources"][0]) >= {
        "urn",
        "type",
        "name",
        "parent",
        "provider",
        "inputs",
        "dependencies",
        "protect",
    }
    types = {r["type"] for r in data["resources"]}
    assert any(t.startswith("aws:") for t in types) and any(t.startswith("azure-native:") for t in types)

    assert (
        main(
            [
                "check",
                "--graph",
                str(graph_file),
                "--format",
                "json",
                "-C",
                str(ROOT),
                *ONLY_RESIDENCY,
                "--policy-config",
                str(policy),
            ]
        )
        == 1
    )
    from_graph = json.loads(capsys.readouterr().out)
    assert (
        main(["check", "prod", "--format", "json", "-C", str(ROOT), *ONLY_RESIDENCY, "--policy-config", str(policy)])
        == 1
    )
    from_stack = json.loads(capsys.readouterr().out)
    assert from_graph["violations"] == from_stack["violations"]
    mandatory = [v for v in from_graph["violations"] if v["enforcementLevel"] == "mandatory"]
    assert from_graph["summary"]["mandatory"] == len(mandatory) > 0
    assert mandatory == from_graph["violations"], "nothing advisory: no document is left unread at preview"
    assert any(n.startswith("deferred to `pulumi up`") for n in from_graph["notes"]), "prod's guardrail pins"
    assert set(from_graph["violations"][0]) >= {
        "policyPack",
        "policy",
        "enforcementLevel",
        "severity",
        "urn",
        "message",
    }

    assert main(["preview", "prod", "-C", str(ROOT), *ONLY_RESIDENCY, "--policy-config", str(policy)]) == 1
    preview_out = capsys.readouterr().out
    assert f"{len(from_graph['violations'])} violations: {len(mandatory)} mandatory" in preview_out


@pytest.mark.parametrize("fmt", ["markdown", "sarif", "text"])
def test_check_formats(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"report.{fmt}"
    assert main(["check", "dev", "-C", str(ROOT), "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text()
    if fmt == "sarif":
        sarif = json.loads(text)
        assert sarif["version"] == "2.1.0"
        rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        assert {r["id"] for r in rules} >= {
            "crosscloud-residency/aws-region-allowed",
            "crosscloud-residency/azure-location-allowed",
        }
    elif fmt == "markdown":
        assert text.startswith("## crosscloud policy check: `crosscloud/dev` ✅ compliant")
        assert "**0 mandatory**" in text
    else:
        assert "No policy violations in 114 resources." in text


def test_bad_config_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["aws"]["model"] = "gpt-oss-999b"
    config["crosscloud:aws"]["regoin"] = "eu-central-1"
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(yaml.safe_dump({"config": config}))
    result = cli("preview", "broken", "--config-file", str(stack_file))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{stack_file}: crosscloud:aws.regoin: unknown key (did you mean 'region'?); "
        "allowed: region, account_id, network, guardrail, invocation_logging"
    ]


def test_each_bad_input_kind_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "unknown-model": (
            "crosscloud:endpoints",
            lambda c: c["crosscloud:endpoints"][0]["azure"].update(model="gpt-9"),
        ),
        "outside-residency": ("crosscloud:azure.location", lambda c: c["crosscloud:azure"].update(location="uksouth")),
        "misspelt": (
            "crosscloud:residencyy",
            lambda c: c.update({"crosscloud:residencyy": c.pop("crosscloud:residency")}),
        ),
    }
    for name, (key, mutate) in cases.items():
        config = stack_config()
        mutate(config)
        path = tmp_path / f"Pulumi.{name}.yaml"
        path.write_text(yaml.safe_dump({"config": config}))
        assert main(["synth", name, "-C", str(ROOT), "--config-file", str(path)]) == 2, name
        err = capsys.readouterr().err
        assert err.startswith(f"{path}: {key}"), err


def test_missing_stack_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "staging", "-C", str(ROOT)]) == 2
    assert "Pulumi.staging.yaml: -: no such stack file; stacks here: dev, prod" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["check", "--format", "pdf", "dev"])
    assert info.value.code == 2
    assert main(["check", "-C", str(ROOT)]) == 2


def test_broken_pack_exits_3_naming_the_pack() -> None:
    result = cli("preview", "dev", "--policy-pack", str(FIXTURES / "packs" / "crashing"))
    assert result.returncode == 3
    assert "crosscloud: policy check failed: policy pack crashing" in result.stderr
    assert "RuntimeError: this pack is broken on purpose" in result.stderr


def test_models_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--residency", "eu", "--cloud", "azure"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    gpt41 = [line for line in lines if line.startswith("gpt-4.1 ")]
    assert any(
        "ProvisionedManaged (regional)" in line and "germanywestcentral, swedencentral" in line for line in gpt41
    )
    assert any(
        "deployment" in line and "Standard (regional)" in line and line.endswith("swedencentral") for line in gpt41
    )
    oss = next(line for line in lines if line.startswith("gpt-oss-120b "))
    assert "no resident offering" in oss
    cohere = next(line for line in lines if line.startswith("cohere-embed-multilingual-v3 "))
    assert "serverless API" in cohere and cohere.endswith("swedencentral")
    assert " aws " not in out
    assert main(["models", "--residency", "mars"]) == 2


def test_models_both_lists_only_models_resident_on_both_clouds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--residency", "eu", "--both"]) == 0
    out = capsys.readouterr().out
    rows = [line.split()[0] for line in out.splitlines()[1:] if line and not line.startswith(("Resident", "On "))]
    assert set(rows) == {"cohere-embed-multilingual-v3", "cohere-embed-english-v3"}
    assert "Resident under eu on both clouds: cohere-embed-english-v3, cohere-embed-multilingual-v3" in out
    assert main(["models", "--both"]) == 2


def test_models_never_claims_an_unlisted_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--cloud", "azure"]) == 0
    lines = capsys.readouterr().out.splitlines()
    oss = [line for line in lines if line.startswith("gpt-oss-120b ")]
    assert len(oss) == 1 and "GlobalStandard: unlisted" in oss[0] and oss[0].rstrip().endswith("-")
    gpt55 = next(line for line in lines if line.startswith("gpt-5.5 ") and "GlobalStandard" in line)
    assert len(gpt55.split("(global)")[1].split(",")) == 29, "the matrix's 29 regions, not every catalog region"


def test_readme_states_the_both_clouds_fact_as_generated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--residency", "eu", "--both"]) == 0
    generated = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- models --residency eu --both -->\n```text\n", 1)[1].split("```", 1)[0]
    assert block == generated, "regenerate the README block with: crosscloud models --residency eu --both"


def test_policy_config_levels_are_validated_and_all_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"aws-region-allowed": "madatory"}))
    assert main(["check", "dev", "-C", str(ROOT), *ONLY_RESIDENCY, "--policy-config", str(bad)]) == 2
    assert (
        "aws-region-allowed: 'madatory' is not an enforcement level; allowed: advisory, mandatory"
        in capsys.readouterr().err
    )
    relaxed = tmp_path / "relaxed.json"
    relaxed.write_text(
        json.dumps(
            {"all": "advisory", "aws-region-allowed": {"residency": "us"}, "residency-pinned": {"residency": "eu"}}
        )
    )
    assert (
        main(["check", "dev", "-C", str(ROOT), "--format", "json", *ONLY_RESIDENCY, "--policy-config", str(relaxed)])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["advisory"] == len(report["violations"]) > 0
    assert {v["policy"] for v in report["violations"]} == {"aws-region-allowed"}


def test_organization_option_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from crosscloud.cli import _parser

    monkeypatch.delenv("PULUMI_ORGANIZATION", raising=False)
    assert _parser().parse_args(["check", "dev"]).organization == "organization"
    monkeypatch.setenv("PULUMI_ORGANIZATION", "acme")
    assert _parser().parse_args(["check", "dev"]).organization == "acme"
    assert _parser().parse_args(["check", "dev", "--organization", "other"]).organization == "other"


def test_policy_config_files_pair_with_packs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one.json"
    one.write_text("{}")
    assert (
        main(
            ["check", "dev", "-C", str(ROOT), *ONLY_RESIDENCY, "--policy-config", str(one), "--policy-config", str(one)]
        )
        == 2
    )
    assert "--policy-config: -: 2 given for 1 policy packs (residency)" in capsys.readouterr().err


def test_the_command_flushes_everything_before_it_ends_early(capsys: pytest.CaptureFixture[str]) -> None:
    # The command ends with os._exit (no interpreter teardown): a large output to a pipe must still arrive whole.
    assert main(["synth", "dev", "-C", str(ROOT)]) == 0
    in_process = capsys.readouterr().out
    done = cli("synth", "dev", "-C", str(ROOT))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 100_000 and json.loads(done.stdout) == json.loads(in_process)
