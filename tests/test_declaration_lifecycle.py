"""The declaration against model lifecycles: retired models, the retirement window and its acknowledgement,
commitments that would outlive their model, and the bedrock-mantle Region table; notes reach the report."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from crosscloud.catalog import Catalog, load_catalog
from crosscloud.catalog.loader import DATA_DIR
from crosscloud.cli import main
from crosscloud.declaration import Declaration, DeclarationError
from crosscloud.declaration.checks import check_declaration
from crosscloud.declaration.lifecycle import add_months
from crosscloud.declaration.load import parse_config
from tests.conftest import ROOT, stack_config

TODAY = dt.date(2026, 12, 3)
NEAR = dt.date(2027, 3, 1)  # gpt-5.1 retires 2027-05-15: 75 days later, inside the 90-day window


def check(config: dict[str, Any], on: dt.date = TODAY, catalog: Catalog | None = None) -> Declaration:
    return check_declaration(
        parse_config(config, "Pulumi.test.yaml"), catalog or load_catalog(), "Pulumi.test.yaml", on
    )


def errors(config: dict[str, Any], on: dt.date = TODAY, catalog: Catalog | None = None) -> list[str]:
    with pytest.raises(DeclarationError) as info:
        check(config, on, catalog)
    return [str(i) for i in info.value.issues]


def test_a_retired_model_is_refused_with_its_date_and_replacement() -> None:
    config = stack_config("dev")
    config["crosscloud:endpoints"][0]["azure"] = {"model": "claude-sonnet-4-5"}
    [line] = errors(config)
    assert line.startswith(
        "Pulumi.test.yaml: crosscloud:endpoints[0].azure.model: 'claude-sonnet-4-5' retired on Azure AI Foundry on "
        "2026-11-30 (M13, read 2026-12-03)"
    )
    assert "replacement: claude-sonnet-5-5" in line


def test_one_model_two_lifecycles_legacy_on_bedrock_is_a_note() -> None:
    config = stack_config("dev")
    config["crosscloud:endpoints"][0]["aws"] = {"model": "claude-sonnet-4-5"}  # eu. profile from eu-central-1
    declaration = check(config)
    assert any(
        "claude-sonnet-4-5 on Amazon Bedrock is legacy (new customers can't use it" in n for n in declaration.notes
    )
    [line] = errors(config, on=dt.date(2027, 4, 8))
    assert "retired on Amazon Bedrock on 2027-04-08" in line and "replacement: claude-sonnet-5" in line


def test_inside_the_window_prod_refuses_unless_acknowledged_and_dev_notes_it() -> None:
    prod = stack_config("prod")
    lines = errors(prod, on=NEAR)
    reasoning = [line for line in lines if "endpoints[1].azure.model" in line]
    assert reasoning and "retires on 2027-05-15, in 75 days (inside crosscloud:lifecycle.warn_days 90" in reasoning[0]
    assert "lifecycle_ack" in reasoning[0]
    for endpoint in prod["crosscloud:endpoints"]:
        if endpoint.get("azure", {}).get("model") == "gpt-5.1":
            endpoint["azure"]["lifecycle_ack"] = "ml-platform lead PLAT-301"
    declaration = check(prod, on=NEAR)
    assert any("acknowledged by ml-platform lead PLAT-301" in n for n in declaration.notes)
    dev = check(stack_config("dev"), on=NEAR)
    assert any("gpt-5.1 on Azure AI Foundry retires on 2027-05-15, in 75 days" in n for n in dev.notes)


def test_the_window_is_configurable() -> None:
    prod = stack_config("prod")
    prod["crosscloud:lifecycle"] = {"warn_days": 60}
    assert check(prod, on=NEAR).endpoints
    prod["crosscloud:lifecycle"] = {"warn_days": 731}
    assert any("warn_days" in line for line in errors(prod))


def test_a_ptu_commitment_must_end_before_its_model_retires_in_prod() -> None:
    prod = stack_config("prod")
    throughput = prod["crosscloud:endpoints"][0]["azure"]["throughput"]
    throughput["ends"] = "2027-06-01"
    [line] = errors(prod)
    assert "crosscloud:endpoints[0].azure.throughput.ends: '2027-06-01' the provisioned (PTU) commitment ends" in line
    assert "after gpt-5.1 retires on 2027-05-15" in line and "allowed: a date on or before 2027-05-15" in line
    del throughput["ends"]
    [line] = errors(prod)
    assert "throughput.ends: is not set: a provisioned (PTU) commitment of gpt-5.1 with no end" in line
    throughput["ends"] = "2027-05-15"
    assert check(prod).endpoints


def test_outside_prod_a_commitment_past_retirement_is_a_note() -> None:
    dev = stack_config("dev")
    dev["crosscloud:endpoints"][0]["azure"] = {
        "model": "gpt-5.1",
        "throughput": {"capacity": 50, "provisioned": True, "approved_by": "finops FIN-1"},
    }
    assert any("with no end runs past its retirement on 2027-05-15" in n for n in check(dev).notes)


def test_ends_belongs_to_provisioned_throughput() -> None:
    dev = stack_config("dev")
    dev["crosscloud:endpoints"][0]["azure"]["throughput"] = {"ends": "2027-01-01"}
    [line] = errors(dev)
    assert "ends dates a provisioned commitment" in line


@pytest.fixture
def dated_nova(tmp_path: Path) -> Catalog:
    """The shipped catalog with Nova Pro given a Bedrock end of life on 2027-03-01."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "models.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  amazon-nova-pro:")
    old = (
        '{status: active, source: A11, date: 2026-12-03, note: "no Legacy row for this model on the lifecycle pages: '
        'Active"}'
    )
    at = text.index(old, start)
    new = "{status: legacy, legacy: 2026-09-01, retirement: 2027-03-01, source: A11, date: 2026-12-03}"
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return Catalog(target)


def us_stack(model_units: int = 1, commitment: str | None = "SixMonths") -> dict[str, Any]:
    config = stack_config("dev")
    config["crosscloud:residency"] = "us"
    config["crosscloud:aws"] = {"region": "us-east-1"}
    del config["crosscloud:azure"]
    config["crosscloud:gpu"] = []
    config["crosscloud:identity"] = {}
    provisioned: dict[str, Any] = {"model_units": model_units}
    if commitment:
        provisioned.update(commitment=commitment, approved_by="finops FIN-1")
    config["crosscloud:endpoints"] = [{"name": "chat", "aws": {"model": "amazon-nova-pro", "provisioned": provisioned}}]
    return config


def test_bedrock_provisioned_throughput_is_refused_for_a_legacy_model(dated_nova: Catalog) -> None:
    assert check(us_stack(), catalog=load_catalog()).endpoints  # active: provisioned throughput is sold
    lines = errors(us_stack(), catalog=dated_nova)
    assert any(
        "crosscloud:endpoints[0].aws.provisioned: 'amazon-nova-pro' is legacy on Amazon Bedrock: new provisioned "
        "throughput cannot be created for it" in line
        for line in lines
    )


def test_a_bedrock_term_may_not_outlive_the_models_end_of_life(tmp_path: Path, dated_nova: Catalog) -> None:
    catalog_dir = tmp_path / "data"
    path = catalog_dir / "models.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: legacy, legacy: 2026-09-01, ", "status: active, "),
        encoding="utf-8",
    )
    active_until_march = Catalog(catalog_dir)
    [line] = errors(us_stack(commitment="SixMonths"), catalog=active_until_march)
    assert (
        "commitment: 'SixMonths' a term bought today ends 2027-06-03, after amazon-nova-pro's end of life on 2027-03-01"
        in line
    )
    assert "allowed: OneMonth" in line
    assert check(us_stack(commitment="OneMonth"), catalog=active_until_march).endpoints


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    assert add_months(dt.date(2026, 12, 3), 6) == dt.date(2027, 6, 3)
    assert add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)


def test_bedrock_mantle_only_where_aws_lists_it() -> None:
    config = stack_config("dev")
    config["crosscloud:aws"]["region"] = "eu-west-3"
    lines = errors(config)
    [line] = [line for line in lines if "mantle" in line]
    assert line.startswith(
        "Pulumi.test.yaml: crosscloud:aws.network.endpoints.mantle: True the bedrock-mantle interface endpoint is not "
        "offered in eu-west-3 (AWS lists it as not supported there)"
    )
    assert "eu-central-1" in line and "eu-west-3" not in line.split("allowed:")[1]
    config["crosscloud:aws"]["region"] = "eu-west-1"
    assert check(config).endpoints


def test_a_retired_model_ends_the_cli_with_exit_2_and_one_line(
    write_stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = stack_config("dev")
    config["crosscloud:endpoints"][0]["azure"] = {"model": "claude-haiku-4-5"}
    path = write_stack(config)
    assert main(["synth", "dev", "-C", str(ROOT), "--config-file", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "'claude-haiku-4-5' retired on Azure AI Foundry on 2026-11-15" in err[0]


def test_models_lifecycle_for_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--lifecycle", "--stack", "prod", "-C", str(ROOT)]) == 0
    out = capsys.readouterr().out
    header, first = out.splitlines()[:2]
    assert header.split()[:5] == ["MODEL", "CLOUD", "VERSION", "SKUS", "STAGE"] and "USED BY" in header
    assert first.split()[:2] == ["gpt-5.1", "azure"] and "chat, reasoning, summarise" in first
    assert "gpt-4.1" not in out and "gpt-4o" not in out


def test_models_lifecycle_lists_every_offering_soonest_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--lifecycle"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    retired = [r for r in rows if " retired " in r]
    assert {r.split()[0] for r in retired} >= {"claude-sonnet-4-5", "claude-haiku-4-5", "cohere-rerank-3-5"}
    assert rows[0].split()[0] == "cohere-rerank-3-5", "the oldest retirement first"


def test_lifecycle_notes_reach_the_report(write_stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    config = stack_config("dev")
    config["crosscloud:endpoints"][0]["azure"] = {"model": "gpt-4o"}  # legacy on Azure: a note, not an error
    path = write_stack(config)
    code = main(
        [
            "check",
            "dev",
            "-C",
            str(ROOT),
            "--config-file",
            str(path),
            "--policy-pack",
            str(ROOT / "policies" / "governance"),
            "--format",
            "json",
        ]
    )
    assert code == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any("gpt-4o on Azure AI Foundry is legacy" in n and "replacement: gpt-5.1" in n for n in notes)
