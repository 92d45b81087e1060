"""The `crosscloud` command end to end: exit codes, outputs and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosscloud.cli import main
from tests.conftest import FIXTURES, ROOT, copy_project, stack_config

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
    assert "aws: 103" in out and "azure: 49" in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("[")], "a clean stack shows no finding"
    assert "No policy violations in 170 resources." in out
    assert "deferred to `pulumi up`" not in out, "every dev document is known at preview"
    # the endpoint contract, as a table
    table = out.split("\nEndpoints:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0].split() == ["ENDPOINT", "CLOUD", "MODEL", "ROUTE", "SKU/PROFILE", "REGION", "PROCESSING"]
    assert any(row.split()[1:4] == ["aws", "openai.gpt-oss-120b-1:0", "in-region"] for row in table[1:])
    assert "{'" not in out  # no Python dict printed anywhere
    # Region and SKU beside the resources of the tree
    assert "azure-native:cognitiveservices:Deployment  azure-foundry-deployment-chat  (in swedencentral, sku " in out
    assert "aws:ec2/vpc:Vpc  aws-network-vpc  (in eu-central-1)" in out


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
        assert "No policy violations in 170 resources." in text


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


def models_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    assert main(["models", *args, "--format", "json"]) == 0
    return list(json.loads(capsys.readouterr().out)["offerings"])


def test_models_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows = models_json(capsys, "--residency", "eu", "--cloud", "azure")
    gpt41 = {r["offering"]: r["regions"] for r in rows if r["model"] == "gpt-4.1"}
    assert gpt41["ProvisionedManaged (regional)"] == ["germanywestcentral", "swedencentral"]
    assert gpt41["Standard (regional)"][-1] == "swedencentral"
    oss = [r for r in rows if r["model"] == "gpt-oss-120b"]
    # no managed Azure route keeps gpt-oss-120b in the EU; its open weights can be self-hosted on an A100 reservation
    assert [r["offering"] for r in oss if r["route"] != "self-hosted"] == []
    assert {r["offering"] for r in oss} == {"vLLM on Standard_NC24ads_A100_v4", "vLLM on Standard_NC96ads_A100_v4"}
    assert not any(r["verified"] for r in oss), "NC A100 v4 regions are unverified: never offered in prod"
    cohere = next(r for r in rows if r["model"] == "cohere-embed-multilingual-v3")
    assert cohere["route"] == "serverless API" and cohere["regions"] == ["swedencentral"]
    assert cohere["offering"].startswith("azureml://registries/azureml-cohere/")  # in full in JSON
    assert {r["cloud"] for r in rows} == {"azure"}
    assert main(["models", "--residency", "mars"]) == 2


def test_models_rows_fit_120_columns_and_read_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    for args in ([], ["--residency", "eu"], ["--residency", "us", "--both"], ["--cloud", "azure"]):
        assert main(["models", *args]) == 0, args
        out = capsys.readouterr().out
        assert max(len(line) for line in out.splitlines()) <= 120, args
    assert main(["models", "--residency", "eu", "--cloud", "azure"]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("gpt-4.1 (chat)")
    block = lines[at + 1 : next(i for i in range(at + 1, len(lines)) if not lines[i].startswith(" "))]
    assert ["azure", "deployment", "Standard", "(regional)"] in [line.split()[:4] for line in block]
    cohere = lines[lines.index("cohere-embed-multilingual-v3 (embedding)") + 1]
    assert "Cohere-embed-v3-multilingual v1 (azureml-cohere)" in cohere and cohere.endswith("swedencentral")


def test_models_filters_by_kind_region_and_cloud(capsys: pytest.CaptureFixture[str]) -> None:
    embeddings = models_json(capsys, "--kind", "embedding")
    assert embeddings and {r["kind"] for r in embeddings} == {"embedding"}
    here = models_json(capsys, "--region", "swedencentral")
    assert here and {r["cloud"] for r in here} == {"azure"} and all(r["regions"] == ["swedencentral"] for r in here)
    both = models_json(capsys, "--region", "eu-north-1", "--kind", "chat", "--residency", "eu")
    assert both and all(r["cloud"] == "aws" and r["kind"] == "chat" for r in both)
    assert main(["models", "--kind", "vision"]) == 2
    assert "--kind: -: 'vision' is not a model kind; allowed: chat, embedding" in capsys.readouterr().err
    assert main(["models", "--region", "swedencentrl"]) == 2
    assert "(did you mean 'swedencentral'?)" in capsys.readouterr().err
    assert main(["models", "--cloud", "aws", "--region", "swedencentral"]) == 2


def test_models_both_lists_only_models_resident_on_both_clouds(capsys: pytest.CaptureFixture[str]) -> None:
    rows = models_json(capsys, "--residency", "eu", "--both")
    managed = {r["model"] for r in rows if r["route"] != "self-hosted"}
    assert {r["model"] for r in rows} == {"cohere-embed-multilingual-v3", "cohere-embed-english-v3", "gpt-oss-120b",
                                          "llama-3-3-70b"}  # fmt: skip
    assert main(["models", "--residency", "eu", "--both", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)["residency"]
    assert summary["by_selfhosting"] == ["gpt-oss-120b", "llama-3-3-70b"], "both only by self-hosting on one cloud"
    assert managed >= {"cohere-embed-multilingual-v3", "cohere-embed-english-v3"}
    assert main(["models", "--residency", "eu", "--both"]) == 0
    out = capsys.readouterr().out
    assert (
        "Resident under eu on both clouds: cohere-embed-english-v3, cohere-embed-multilingual-v3, gpt-oss-120b+, "
        "llama-3-3-70b+" in out
    )
    assert "+ on one cloud only by self-hosting its open weights" in out
    assert main(["models", "--both"]) == 2


def test_models_never_claims_an_unlisted_region(capsys: pytest.CaptureFixture[str]) -> None:
    rows = models_json(capsys, "--cloud", "azure")
    oss = [r for r in rows if r["model"] == "gpt-oss-120b" and r["route"] != "self-hosted"]
    assert [(r["offering"], r["regions"]) for r in oss] == [("GlobalStandard: unlisted", [])]
    gpt55 = next(r for r in rows if r["model"] == "gpt-5.5" and r["offering"].startswith("GlobalStandard"))
    assert len(gpt55["regions"]) == 29, "the matrix's 29 regions, not every catalog region"


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


# -- one run, every report (issue 23.6) ------------------------------------------------------------------------------
def test_one_check_writes_every_report_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = {fmt: tmp_path / f"report.{fmt}" for fmt in ("text", "json", "markdown", "sarif")}
    reports = [arg for fmt, path in paths.items() for arg in ("--report", f"{fmt}={path}")]
    assert main(["check", "dev", "-C", str(ROOT), "--format", "json", *reports]) == 0
    stdout = json.loads(capsys.readouterr().out)
    assert json.loads(paths["json"].read_text()) == stdout
    assert paths["markdown"].read_text().startswith("## crosscloud policy check: `crosscloud/dev`")
    assert json.loads(paths["sarif"].read_text())["version"] == "2.1.0"
    assert paths["text"].read_text().startswith("Policy packs: ")
    assert "\x1b[" not in paths["text"].read_text(), "no colour in a file"


def test_preview_writes_reports_beside_its_own_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    comment, sarif = tmp_path / "comment.md", tmp_path / "results.sarif"
    code = main(["preview", "dev", "-C", str(ROOT), "--report", f"markdown={comment}", "--report", f"sarif={sarif}"])
    assert code == 0
    assert "Previewing crosscloud/dev offline" in capsys.readouterr().out
    assert comment.read_text().startswith("## crosscloud policy check:") and json.loads(sarif.read_text())["runs"]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            ["--report", "markdown={missing}/c.md"],
            "cannot write the markdown report here: its folder {missing} does not exist",
        ),
        (["--report", "sarif={tmp}"], "cannot write the sarif report here: is a directory"),
        (
            ["--graph-out", "{missing}/g.json"],
            "cannot write the graph (--graph-out) here: its folder {missing} does not exist",
        ),
        (
            ["--report", "json={tmp}/a.json", "--report", "markdown={tmp}/a.json"],
            "named twice (json report and markdown report)",
        ),
    ],
)
def test_output_paths_are_checked_before_the_run_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    root = copy_project(tmp_path / "project")
    marker = tmp_path / "program-ran"
    (root / "stacks" / "__main__.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n")
    missing = tmp_path / "missing"
    filled = [a.format(missing=missing, tmp=tmp_path) for a in args]
    assert main(["preview", "dev", "-C", str(root), *filled]) == 2
    err = capsys.readouterr().err
    assert problem.format(missing=missing) in err and err.count("\n") == 1
    assert not marker.exists(), "the program never ran"


def test_report_option_needs_format_and_path(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("markdown", "pdf=x.pdf", "markdown="):
        with pytest.raises(SystemExit) as info:
            main(["check", "dev", "--report", bad])
        assert info.value.code == 2
        assert "is not FORMAT=PATH with FORMAT one of json, markdown, sarif, text" in capsys.readouterr().err


# -- readable output (issue 23.5) --------------------------------------------------------------------------------------
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"crosscloud {metadata.version('crosscloud')}\n"


def run_on_a_terminal(args: list[str], **env: str) -> tuple[int, str]:
    """The CLI with stdout and stderr on a pseudo-terminal; everything it wrote there."""
    import os
    import pty

    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "crosscloud.cli", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=child_fd,
        stderr=child_fd,
        env={**os.environ, "TERM": "xterm", **env},
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    return process.wait(timeout=300), b"".join(chunks).decode(errors="replace")


def test_progress_and_colour_on_a_terminal_only() -> None:
    noisy = ["preview", "dev", "--policy-pack", str(ROOT / "policies" / "governance")]
    code, shown = run_on_a_terminal(noisy)
    assert code == 0
    counts = re.findall(r"\r\x1b\[Krunning the program: resources registered: (\d+)", shown)
    assert counts and int(counts[-1]) > 0, shown[:500]
    assert "\x1b[32mNo policy violations" in shown
    code, plain = run_on_a_terminal(noisy, NO_COLOR="1")
    assert code == 0 and "\x1b[3" not in plain
    piped = cli(*noisy)
    assert piped.returncode == 0 and piped.stderr == "" and "\x1b" not in piped.stdout


def test_colour_marks_the_findings_on_a_terminal(tmp_path: Path) -> None:
    args = ["check", "prod", "-C", str(FIXTURES / "stacks" / "noncompliant")]
    code, shown = run_on_a_terminal(args)
    assert code == 1 and "\x1b[31m[mandatory/critical]\x1b[0m" in shown
    code, plain = run_on_a_terminal(args, NO_COLOR="1")
    assert code == 1 and "\x1b[31m" not in plain and "[mandatory/critical]" in plain


# -- the noncompliant fixture, as the README runs it (issue 23.3) ------------------------------------------------------
def test_the_noncompliant_fixture_runs_as_documented_and_trips_every_rule_it_claims(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README: "a stack that trips every residency and portability rule", run with
    `crosscloud check prod -C tests/fixtures/stacks/noncompliant` (the packs crosscloud ships, their prod config)."""
    from tests.test_policies_fixture_stack import EXPECTED

    sarif = tmp_path / "r.sarif"
    args = ["check", "prod", "-C", str(FIXTURES / "stacks" / "noncompliant"), "--format", "json"]
    assert main([*args, "--report", f"sarif={sarif}"]) == 1
    report = json.loads(capsys.readouterr().out)
    tripped: dict[str, set[str]] = {}
    for v in report["violations"]:
        tripped.setdefault(f"{v['policyPack']}/{v['policy']}", set()).add(v["urn"].rsplit("::", 1)[-1])
    rules = [r["id"] for r in json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["rules"]]
    claimed = [r for r in rules if r.startswith(("crosscloud-residency/", "crosscloud-portability/"))]
    assert len(claimed) >= 15
    # residency-pinned is the one exception the README names: the fixture keeps the residency its config pins
    missed = sorted(r for r in claimed if r not in tripped)
    assert missed == ["crosscloud-portability/model-lifecycle-window", "crosscloud-residency/residency-pinned"], (
        "every other residency and portability rule trips"
    )
    for rule, resources in EXPECTED.items():
        pack = next(r for r in claimed if r.endswith(f"/{rule}"))
        assert tripped.get(pack, set()) >= resources, rule
    configs = {p["name"]: p["policyConfig"] for p in report["summary"]["policyPacks"]}
    assert configs["crosscloud-residency"].endswith("policies/config/prod/residency.json")
    assert report["summary"]["mandatory"] > 0


def test_the_engine_reports_each_phase_with_its_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    from crosscloud.engine import check
    from crosscloud.engine.progress import PROGRESS, Progress

    PROGRESS.start("")
    seen: list[tuple[str, int]] = []
    real_start = Progress.start

    def start(self: Progress, phase: str, total: int = 0) -> None:
        if self.phase:
            seen.append((self.phase, self.done))
        real_start(self, phase, total)

    monkeypatch.setattr(Progress, "start", start)
    from tests.graphs import graph, provider

    g = graph([provider("aws", "aws-eu", region="eu-central-1")])
    check.check_graph(g, [ROOT / "policies" / "governance"])
    PROGRESS.start("")
    assert seen == [("policy packs: remediate", 2), ("policy packs: analyze", 3)]
