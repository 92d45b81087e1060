"""Lifecycle per offering: stages derived from the vendors' dates, load-time validation of every row, and retired
offerings never chosen (but shown as retired)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from crosscloud.catalog import Catalog, CatalogError
from crosscloud.catalog.loader import DATA_DIR
from crosscloud.catalog.schema import Lifecycle
from crosscloud.models_table import models_table

READ = dt.date(2026, 12, 3)


def row(**fields: object) -> Lifecycle:
    return Lifecycle.model_validate({"status": "active", "source": "M13", "date": READ, **fields})


def test_the_stage_in_force_moves_with_the_vendors_dates_not_with_edits() -> None:
    gpt = row(retirement=dt.date(2027, 5, 15))
    assert gpt.status_on(dt.date(2027, 5, 14)) == "active"
    assert gpt.status_on(dt.date(2027, 5, 15)) == "retired"
    assert gpt.days_left(READ) == 163
    legacy = row(status="legacy", legacy=dt.date(2026, 10, 8), retirement=dt.date(2027, 4, 8))
    assert legacy.status_on(READ) == "legacy" and legacy.status_on(dt.date(2027, 4, 8)) == "retired"
    # A stated stage never moves back, even before a date the row gives.
    assert row(status="deprecated", retirement=dt.date(2027, 4, 14)).status_on(dt.date(2026, 1, 1)) == "deprecated"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"legacy": dt.date(2027, 1, 2), "retirement": dt.date(2027, 1, 1), "status": "active"}, "before legacy"),
        ({"status": "retired"}, "needs a retirement date"),
        ({"status": "retired", "retirement": dt.date(2027, 1, 1)}, "needs a retirement date on or before"),
        ({"status": "active", "retirement": dt.date(2026, 11, 30)}, "contradicts its own dates"),
        ({"status": "active", "legacy": dt.date(2026, 10, 8)}, "contradicts its own dates"),
    ],
)
def test_a_row_that_contradicts_itself_is_named(fields: dict[str, object], problem: str) -> None:
    found = row(**fields).problem()
    assert found is not None and problem in found


def test_consistent_rows_have_no_problem() -> None:
    assert row(status="retired", retirement=dt.date(2026, 11, 30)).problem() is None
    assert row(status="legacy", legacy=dt.date(2026, 10, 8), retirement=dt.date(2027, 4, 8)).problem() is None


@pytest.fixture
def edited(tmp_path: Path) -> Callable[[str, str], Path]:
    """A copy of the shipped data with one text replacement in models.yaml."""

    def edit(old: str, new: str) -> Path:
        target = tmp_path / "data"
        shutil.copytree(DATA_DIR, target, dirs_exist_ok=True)
        path = target / "models.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return target

    return edit


GPT51 = "{status: active, retirement: 2027-05-15, source: M13, date: 2026-12-03}"


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            "{status: active, legacy: 2027-06-01, retirement: 2027-05-15, source: M13, date: 2026-12-03}",
            "before legacy",
        ),
        ("{status: active, retirement: 2027-05-15, source: NOPE, date: 2026-12-03}", "unknown source key NOPE"),
        ("{status: active, retirement: 2026-11-01, source: M13, date: 2026-12-03}", "contradicts its own dates"),
        (
            "{status: active, retirement: 2027-05-15, replacement: titan-embed-text-v2, source: M13, date: 2026-12-03}",
            "titan-embed-text-v2 is not offered on azure",
        ),
        (
            "{status: active, skus: [GlobalBatch], retirement: 2027-05-15, source: M13, date: 2026-12-03}",
            "exactly one row without skus",
        ),
        ("{status: active, source: M13}", "date"),
    ],
)
def test_load_refuses_an_inconsistent_lifecycle_row(edited: Callable[[str, str], Path], new: str, message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        Catalog(edited(GPT51, new))


def test_a_sku_row_must_name_a_sku_of_the_model(edited: Callable[[str, str], Path]) -> None:
    extra = f"{GPT51}\n        - {{status: active, skus: [GlobalBatch], source: M13, date: 2026-12-03}}"
    with pytest.raises(CatalogError, match="GlobalBatch is not a SKU of this model"):
        Catalog(edited(GPT51, extra))


def test_a_sku_row_gives_that_sku_its_own_dates(edited: Callable[[str, str], Path]) -> None:
    extra = (
        f"{GPT51}\n        - {{status: active, skus: [ProvisionedManaged], retirement: 2027-11-15, source: M13, "
        "date: 2026-12-03}"
    )
    catalog = Catalog(edited(GPT51, extra))
    later = dt.date(2027, 6, 1)
    skus = {o.sku for o in catalog.azure_offerings("gpt-5.1", "swedencentral", on=later)}
    assert skus == {"ProvisionedManaged"}, "only the SKU whose row runs longer is still offered"


def test_every_offering_has_a_lifecycle_row_with_a_source_and_date(catalog: Catalog) -> None:
    for key, model in catalog.models.items():
        rows = ([model.aws.lifecycle] if model.aws else []) + (model.azure.lifecycle if model.azure else [])
        assert rows, key
        assert all(r.source in catalog.models_file.sources and r.date for r in rows), key


def test_retired_offerings_are_never_chosen(catalog: Catalog) -> None:
    europe = catalog.residency("europe")
    assert catalog.status("claude-sonnet-4-5", "azure") == "retired"
    assert catalog.azure_offerings("claude-sonnet-4-5", "swedencentral") == []
    shown = catalog.azure_offerings("claude-sonnet-4-5", "swedencentral", include_retired=True)
    assert shown and all(o.status == "retired" and o.retirement == dt.date(2026, 11, 30) for o in shown)
    assert catalog.select_azure("claude-sonnet-4-5", "swedencentral", catalog.residency("us")) is None
    # Legacy on Bedrock until its end of life: one model, two lifecycles.
    assert catalog.select_aws("claude-sonnet-4-5", "eu-central-1", europe) is not None
    assert catalog.select_aws("claude-sonnet-4-5", "eu-central-1", europe, on=dt.date(2027, 4, 8)) is None
    assert "claude-sonnet-4-5" not in catalog.resident_models("azure", "swedencentral", catalog.residency("europe"))


def test_models_shows_retired_offerings_as_retired(catalog: Catalog) -> None:
    table = models_table(catalog, None, "azure").splitlines()
    at = table.index("claude-sonnet-4-5 (chat)")
    end = next(i for i in range(at + 1, len(table)) if not table[i].startswith(" "))
    offerings = [line for line in table[at + 1 : end] if line.startswith("  azure")]
    assert offerings and all("(retired 2026-11-30)" in line for line in offerings)
    resident = models_table(catalog, "eu", "azure")
    assert "retired" not in resident


def test_bedrock_mantle_table(catalog: Catalog) -> None:
    supported, not_supported = catalog.endpoint_service_regions("bedrock-mantle")
    assert {"eu-central-1", "eu-north-1", "eu-west-1"} <= supported
    assert {"eu-central-2", "eu-south-2", "eu-west-3"} <= not_supported
