"""The catalog overlay: what the merge applies and what it only reports, the loader's env var, and the same merged view
in the declaration and in a policy pack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from crosscloud.catalog import Catalog, CatalogError, load_catalog
from crosscloud.catalog.loader import DATA_DIR
from crosscloud.catalog.overlay import OVERLAY_ENV, Entry, merge, write_overlay
from crosscloud.declaration import DeclarationError
from crosscloud.declaration.checks import check_declaration
from crosscloud.declaration.load import parse_config
from crosscloud.engine.check import check_graph
from crosscloud.engine.project import Project
from tests.conftest import stack_config
from tests.graphs import graph, provider, resource

TODAY = dt.date(2026, 12, 3)
AT = "2026-12-03T10:00:00Z"


def entry(path: tuple[str, ...], value: Any) -> Entry:
    return Entry(path, value, "test recording", AT)


def models(catalog: Catalog) -> dict[str, Any]:
    return {k: m.model_dump(mode="json") for k, m in catalog.models.items()}


def test_regions_gained_are_applied_and_regions_lost_on_a_verified_row_are_conflicts(catalog: Catalog) -> None:
    shipped = catalog.models["cohere-embed-multilingual-v3"].aws
    assert shipped is not None
    gained = merge(
        models(catalog),
        [entry(("cohere-embed-multilingual-v3", "aws", "in_region"), [*shipped.in_region, "eu-north-1"])],
        TODAY,
    )
    assert "eu-north-1" in gained.models["cohere-embed-multilingual-v3"]["aws"]["in_region"]
    assert gained.applied and not gained.conflicts
    lost = merge(models(catalog), [entry(("cohere-embed-multilingual-v3", "aws", "in_region"), ["us-east-1"])], TODAY)
    assert lost.models["cohere-embed-multilingual-v3"]["aws"]["in_region"] == shipped.in_region
    assert lost.conflicts and "lost" in lost.conflicts[0] and "verified row" in lost.conflicts[0]


def test_an_unverified_row_takes_the_apis_list(catalog: Catalog) -> None:
    result = merge(models(catalog), [entry(("qwen3-32b", "aws", "in_region"), ["eu-west-1"])], TODAY)
    assert result.models["qwen3-32b"]["aws"]["in_region"] == ["eu-west-1"] and not result.conflicts


def test_lifecycle_stricter_is_applied_looser_is_a_conflict(catalog: Catalog) -> None:
    retired = {"status": "retired", "retirement": "2026-12-01", "source": "SYNC", "date": "2026-12-03"}
    stricter = merge(models(catalog), [entry(("gpt-5.1", "azure", "lifecycle"), retired)], TODAY)
    assert stricter.models["gpt-5.1"]["azure"]["lifecycle"] == [retired] and stricter.applied
    active = {"status": "active", "source": "SYNC", "date": "2026-12-03"}
    looser = merge(models(catalog), [entry(("claude-sonnet-4-5", "azure", "lifecycle"), active)], TODAY)
    assert looser.conflicts and "looser" in looser.conflicts[0]
    assert looser.models["claude-sonnet-4-5"]["azure"]["lifecycle"][0]["status"] == "retired"
    later = {"status": "active", "retirement": "2027-09-01", "source": "SYNC", "date": "2026-12-03"}
    assert merge(models(catalog), [entry(("gpt-5.1", "azure", "lifecycle"), later)], TODAY).conflicts


def test_route_rows_may_grow_but_not_shrink(catalog: Catalog) -> None:
    path = ("claude-sonnet-4-5", "aws", "profiles", "eu")
    shipped = catalog.profile_destinations("claude-sonnet-4-5", "eu", "eu-central-1")
    assert shipped is not None
    wider = {"source": "SYNC", "routes": {"eu-central-1": sorted(shipped | {"eu-west-2"})}}
    narrower = {"source": "SYNC", "routes": {"eu-central-1": ["eu-central-1"]}}
    assert not merge(models(catalog), [entry(path, wider)], TODAY).conflicts
    shrunk = merge(models(catalog), [entry(path, narrower)], TODAY)
    assert shrunk.conflicts and "fewer Regions" in shrunk.conflicts[0]


def test_new_models_are_applied_and_an_existing_key_is_not_overwritten(catalog: Catalog) -> None:
    new = {"display": "X", "provider": "Y", "kind": "chat", "aws": {"model_id": "y.x-v1:0"}}
    result = merge(models(catalog), [entry(("y-x",), new), entry(("gpt-5.1",), new)], TODAY)
    assert result.models["y-x"] == new and result.models["gpt-5.1"]["display"] == "GPT-5.1"
    assert len(result.conflicts) == 1


def write(tmp_path: Path, *entries: Entry) -> Path:
    path = tmp_path / "overlay.yaml"
    write_overlay(path, list(entries), AT)
    return path


RETIRE_GPT51 = entry(
    ("gpt-5.1", "azure", "lifecycle"),
    {"status": "retired", "retirement": "2026-12-01", "source": "SYNC", "date": "2026-12-03"},
)


def test_the_merged_catalog_passes_the_same_validation(tmp_path: Path) -> None:
    bad = entry(("cohere-embed-multilingual-v3", "aws", "in_region"), ["eu-north-1", "mars-east-1"])
    with pytest.raises(CatalogError, match="unknown aws region"):
        Catalog(DATA_DIR, write(tmp_path, bad))
    contradiction = entry(
        ("cohere-embed-multilingual-v3", "azure", "lifecycle"),
        {"status": "retired", "source": "SYNC", "date": "2026-12-03"},
    )
    with pytest.raises(CatalogError, match="needs a retirement date"):
        Catalog(DATA_DIR, write(tmp_path, contradiction))


def test_the_overlay_file_must_be_absolute_and_well_formed(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="absolute path"):
        Catalog(DATA_DIR, Path("overlay.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("values: []\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not a crosscloud catalog overlay"):
        Catalog(DATA_DIR, broken)
    no_where = tmp_path / "no-where.yaml"
    no_where.write_text(
        "crosscloud-catalog-overlay: 1\nvalues:\n- {path: [gpt-5.1], value: 1, read_from: '', read_at: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="where and when"):
        Catalog(DATA_DIR, no_where)


def test_the_env_var_gives_every_consumer_the_merged_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, RETIRE_GPT51)
    monkeypatch.setenv(OVERLAY_ENV, str(path))
    merged = load_catalog()
    assert merged.overlay == path and merged.retired("gpt-5.1", "azure")
    spec = parse_config(stack_config("dev"), "Pulumi.dev.yaml")
    with pytest.raises(DeclarationError, match=r"endpoints\[0\]\.azure\.model: 'gpt-5\.1' retired on Azure AI Foundry"):
        check_declaration(spec, merged, "Pulumi.dev.yaml")
    monkeypatch.delenv(OVERLAY_ENV)
    assert not load_catalog().retired("gpt-5.1", "azure")


def test_a_pack_sees_the_same_merged_view(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    az = provider("azure-native", "az", location="swedencentral")
    cases = [
        az,
        resource(
            "azure-native:cognitiveservices:Deployment",
            "gpt51",
            az,
            accountName="ai",
            resourceGroupName="rg",
            deploymentName="chat",
            sku={"name": "Standard", "capacity": 10},
            properties={"model": {"format": "OpenAI", "name": "gpt-5.1", "version": "2025-11-13"}},
        ),
    ]
    pack = [project.root / "policies" / "portability"]
    monkeypatch.setenv(OVERLAY_ENV, str(write(tmp_path, RETIRE_GPT51)))
    result = check_graph(graph(cases), pack, start_timeout=60, rpc_timeout=60)
    found = [v for v in result.violations if v.policy == "model-lifecycle"]
    assert [v.urn.split("::")[-1] for v in found] == ["gpt51"]
    assert "retired on Azure AI Foundry on 2026-12-01" in found[0].message
