"""The catalog's data against its sources: every table cites a source and a date, every reference resolves, and no
verified row contradicts the transcription of its source in tests/catalog_evidence.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from crosscloud.catalog import Catalog
from crosscloud.catalog.loader import DATA_DIR

EVIDENCE = yaml.safe_load((Path(__file__).parent / "catalog_evidence.yaml").read_text(encoding="utf-8"))


def _raw(file: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA_DIR / file).read_text(encoding="utf-8"))
    return data


def _verified(file: str, path: list[str]) -> bool:
    """Whether the row at `path` is marked verified (every enclosing table, and the field's own flag)."""
    node: Any = _raw(file)
    for depth, key in enumerate(path):
        if isinstance(node, dict):
            if node.get("verified") is False:
                return False
            if key in ("format", "version") and node.get(f"{key}_verified") is False:
                return False
            if key == "skus" and depth + 1 < len(path) and path[depth + 1] in node.get("unverified_skus", []):
                return False
        node = node[int(key)] if isinstance(node, list) else node[key]
    return not (isinstance(node, dict) and node.get("verified") is False)


def _at(file: str, path: list[str]) -> Any:
    node: Any = _raw(file)
    for key in path:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _sources(file: str) -> set[str]:
    raw = _raw(file)["sources"]
    return set(raw) if isinstance(raw, dict) else {str(t["table"]) for t in raw}


@pytest.mark.parametrize("entry", EVIDENCE, ids=lambda e: "/".join(str(p) for p in e["path"]))
def test_verified_rows_match_their_transcribed_source(entry: dict[str, Any]) -> None:
    file, path = entry["file"], [str(p) for p in entry["path"]]
    assert entry["source"] in _sources(file), f"{file} defines no source {entry['source']}"
    if not _verified(file, path):
        pytest.skip("row is marked unverified: shown, never offered in prod")
    actual = _at(file, path)
    if "keys" in entry:
        assert sorted(actual) == sorted(entry["keys"]), entry["why"]
    elif isinstance(entry["value"], list):
        assert sorted(actual) == sorted(entry["value"]), entry["why"]
    elif isinstance(entry["value"], dict):
        assert {k: sorted(v) for k, v in actual.items()} == {k: sorted(v) for k, v in entry["value"].items()}
    else:
        assert str(actual) == str(entry["value"]), entry["why"]


def test_every_table_names_its_source_and_date(catalog: Catalog) -> None:
    for table in (catalog.regions, catalog.azure_skus, catalog.bedrock_profiles, catalog.bedrock_endpoints):
        assert table.sources and all(s.source and s.date and s.table for s in table.sources)
    for keyed in (catalog.models_file.sources, catalog.gpus.sources):
        assert keyed and all(s.source and s.date for s in keyed.values())


def test_every_model_row_cites_a_source(catalog: Catalog) -> None:
    for key, model in catalog.models.items():
        if model.aws:
            assert model.aws.sources, key
            assert all(t.source in catalog.models_file.sources for t in model.aws.profiles.values() if t), key
        if model.azure:
            assert model.azure.sources, key
            if model.azure.serverless:
                assert model.azure.serverless.sources, key
    for table in (catalog.gpus.aws, catalog.gpus.azure):
        for sku, gpu in table.items():
            assert gpu.sources and all(s in catalog.gpus.sources for s in gpu.sources), sku


def test_no_region_list_says_any_on_azure() -> None:
    for key, model in _raw("models.yaml")["models"].items():
        for sku, regions in ((model.get("azure") or {}).get("skus") or {}).items():
            assert isinstance(regions, list), f"{key}.azure.skus.{sku} must be a published region list"


def test_the_evidence_covers_every_value_fix_of_the_audit() -> None:
    paths = {"/".join(str(p) for p in e["path"]) for e in EVIDENCE}
    for fixed in (
        "models/claude-sonnet-4-5/azure/version",
        "models/claude-haiku-4-5/azure/skus",
        "models/claude-sonnet-4-5/azure/skus/GlobalStandard",
        "models/claude-haiku-4-5/aws/profiles",
        "models/gpt-5.1/azure/skus/ProvisionedManaged",
        "models/mistral-large-3/azure/skus/DataZoneStandard",
        "models/gpt-oss-120b/azure/format",
        "models/gpt-oss-120b/aws/in_region",
        "aws/trn1.32xlarge/reservations/capacity-block",
    ):
        assert fixed in paths


def test_the_evidence_covers_the_lifecycle_facts_of_the_2026_12_audit() -> None:
    paths = {"/".join(str(p) for p in e["path"]) for e in EVIDENCE}
    for fixed in (
        "models/claude-sonnet-4-5/azure/lifecycle/0/retirement",
        "models/gpt-4.1/azure/lifecycle/0/retirement",
        "models/gpt-4o/azure/lifecycle/0/replacement",
        "services/bedrock-mantle/not_supported",
    ):
        assert fixed in paths
