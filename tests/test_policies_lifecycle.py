"""model-lifecycle and model-lifecycle-window: each finding beside a compliant twin that differs only in the offending
field, unknowns failing closed, and the portability pack running them as its own process."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from crosscloud.catalog import Catalog, load_catalog
from crosscloud.catalog.loader import DATA_DIR
from crosscloud.engine.check import check_graph
from crosscloud.engine.graph import UNKNOWN
from crosscloud.engine.project import Project
from crosscloud.policies.rules.base import ResourceView, RuleContext, evaluate
from crosscloud.policies.rules.lifecycle import MODEL_LIFECYCLE, MODEL_LIFECYCLE_WINDOW, check_retired, check_window
from tests.graphs import graph, provider, resource

DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
SERVERLESS = "azure-native:machinelearningservices:ServerlessEndpoint"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
MULTILINGUAL = "azureml://registries/azureml-cohere/models/Cohere-embed-v3-multilingual/versions/1"


def ctx(on: dt.date, catalog: Catalog | None = None, warn_days: int = 90) -> RuleContext:
    return RuleContext(
        catalog=catalog or load_catalog(),
        residency=None,
        residency_name=None,
        config={"warn_days": warn_days},
        today=on,
    )


def deployment_view(name: str, version: Any, sku: str = "GlobalStandard") -> ResourceView:
    props = {"sku": {"name": sku}, "properties": {"model": {"format": "OpenAI", "name": name, "version": version}}}
    return ResourceView(type=DEPLOYMENT, props=props)


def lambda_view(model: str) -> ResourceView:
    return ResourceView(type="aws:lambda/function:Function", props={"environment": {"variables": {"MODEL": model}}})


TODAY = dt.date(2026, 12, 3)


def test_a_retired_foundry_deployment_is_refused_its_live_twin_is_not() -> None:
    [message] = check_retired(deployment_view("claude-sonnet-4-5", "1"), ctx(TODAY))
    assert message.startswith(
        "deployment of claude-sonnet-4-5 1: claude-sonnet-4-5 retired on Azure AI Foundry on 2026-11-30"
    )
    assert "replacement: claude-sonnet-5-5" in message
    assert list(check_retired(deployment_view("claude-sonnet-5", "2"), ctx(TODAY))) == []


def test_a_bedrock_reference_is_dated_by_the_bedrock_row_not_the_azure_one() -> None:
    """Claude Sonnet 4.5 is retired on Azure but Legacy on Bedrock until 2027-04-08."""
    profile = lambda_view(f"eu.{SONNET}")
    assert list(check_retired(profile, ctx(dt.date(2027, 4, 7)))) == []
    [retired] = check_retired(profile, ctx(dt.date(2027, 4, 8)))
    assert "retired on Amazon Bedrock on 2027-04-08" in retired and "replacement: claude-sonnet-5" in retired
    [near] = check_window(profile, ctx(dt.date(2027, 4, 7)))
    assert "retires on Amazon Bedrock on 2027-04-08, in 1 days (window 90" in near
    assert list(check_window(profile, ctx(dt.date(2027, 1, 7)))) == [], "91 days out: outside the window"


def test_the_window_follows_its_configuration() -> None:
    view = deployment_view("gpt-5.1", "2025-11-13", "Standard")
    [message] = check_window(view, ctx(TODAY, warn_days=163))
    assert "retires on Azure AI Foundry on 2027-05-15, in 163 days (window 163" in message
    assert list(check_window(view, ctx(TODAY, warn_days=162))) == []


def test_a_sku_row_decides_for_that_sku(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    models = target / "models.yaml"
    row = "{status: active, retirement: 2027-05-15, source: M13, date: 2026-12-03}"
    extra = (
        f"{row}\n        - {{status: active, skus: [ProvisionedManaged], retirement: 2027-11-15, source: M13, "
        "date: 2026-12-03}"
    )
    models.write_text(models.read_text(encoding="utf-8").replace(row, extra, 1), encoding="utf-8")
    catalog = Catalog(target)
    later = dt.date(2027, 6, 1)
    assert (
        list(check_retired(deployment_view("gpt-5.1", "2025-11-13", "ProvisionedManaged"), ctx(later, catalog))) == []
    )
    assert list(check_retired(deployment_view("gpt-5.1", "2025-11-13", "Standard"), ctx(later, catalog)))


def test_serverless_endpoints_are_recognised(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    models = target / "models.yaml"
    old = '{status: active, source: M13, date: 2026-12-03, note: "GA, version 1, no retirement date"}'
    new = "{status: retired, retirement: 2026-12-01, source: M13, date: 2026-12-03}"
    models.write_text(models.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    view = ResourceView(type=SERVERLESS, props={"properties": {"modelSettings": {"modelId": MULTILINGUAL}}})
    [message] = check_retired(view, ctx(TODAY, Catalog(target)))
    assert message.startswith(f"serverless endpoint for {MULTILINGUAL}: cohere-embed-multilingual-v3 retired")
    assert list(check_retired(view, ctx(TODAY))) == []


def test_a_version_the_catalog_does_not_date_is_named() -> None:
    [message] = check_window(deployment_view("gpt-5.1", "2099-01-01", "Standard"), ctx(TODAY))
    assert "the catalog dates only version 2025-11-13" in message
    assert list(check_window(deployment_view("gpt-5.1", "2025-11-13", "Standard"), ctx(TODAY))) == []


def test_an_unknown_model_fails_closed() -> None:
    [message] = evaluate(MODEL_LIFECYCLE, deployment_view("gpt-5.1", UNKNOWN), ctx(TODAY))
    assert "cannot be verified at preview" in message and "model-lifecycle fails closed" in message


@pytest.fixture(scope="module")
def pack_result(project: Project) -> Any:
    az = provider("azure-native", "az", location="swedencentral")
    aws = provider("aws", "aws-eu", region="eu-central-1")

    def foundry(name: str, model: str, version: str, sku: str) -> Any:
        return resource(
            DEPLOYMENT,
            name,
            az,
            accountName="ai",
            resourceGroupName="rg",
            deploymentName=name,
            sku={"name": sku, "capacity": 10},
            properties={"model": {"format": "OpenAI", "name": model, "version": version}},
        )

    cases = [
        az,
        aws,
        foundry("retired", "claude-sonnet-4-5", "1", "GlobalStandard"),
        foundry("live", "claude-sonnet-5", "2", "GlobalStandard"),
        foundry("embed", "text-embedding-3-large", "1", "Standard"),
        resource("aws:lambda/function:Function", "fn", aws, environment={"variables": {"M": f"eu.{SONNET}"}}),
    ]
    days = load_catalog().lifecycle("text-embedding-3-large", "azure")
    assert days is not None and days.retirement is not None
    window = (days.retirement - dt.datetime.now(dt.UTC).date()).days
    config = {"model-lifecycle-window": {"warn_days": window}}
    return check_graph(graph(cases), [project.root / "policies" / "portability"], config)


def test_the_pack_refuses_the_retired_deployment_and_flags_the_one_inside_the_window(pack_result: Any) -> None:
    [pack] = pack_result.packs
    assert {MODEL_LIFECYCLE.id, MODEL_LIFECYCLE_WINDOW.id} <= set(pack.policies)
    retired = [v for v in pack_result.violations if v.policy == "model-lifecycle"]
    assert [v.urn.split("::")[-1] for v in retired] == ["retired"]
    assert retired[0].enforcement_level == "mandatory" and "replacement: claude-sonnet-5-5" in retired[0].message
    window = [v for v in pack_result.violations if v.policy == "model-lifecycle-window"]
    # Inside the window: the embedding deployment and both Claude references (Bedrock EOL 2027-04-08, Sonnet 5
    # 2027-06-30), each advisory.
    assert {v.urn.split("::")[-1] for v in window} == {"embed", "fn", "live"}
    assert all(v.enforcement_level == "advisory" for v in window)
