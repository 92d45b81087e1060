"""The price table (prices.yaml, the refresh overlay, crosscloud:prices), the month's arithmetic, and `crosscloud prices
refresh` on recorded answers of the Azure Retail Prices API, the AWS Price List offer file and
describe-capacity-block-offerings (tests/fixtures/prices/SOURCE.txt)."""

from __future__ import annotations

import datetime as dt
import io
import urllib.parse
from pathlib import Path
from typing import IO

import pytest
import yaml

from crosscloud.catalog import Catalog, CatalogError
from crosscloud.catalog.loader import DATA_DIR
from crosscloud.catalog.prices import (
    PRICES_OVERLAY_ENV,
    Budget,
    Commitment,
    PriceError,
    over_budget,
    parse_overrides,
    price,
)
from crosscloud.catalog.schema import PriceRow
from crosscloud.evidence.refresh import AWS_EC2_OFFER, RefreshError, refresh, render_overlay, render_summary

FIXTURES = Path(__file__).parent / "fixtures" / "prices"
TODAY = dt.date(2026, 12, 3)


def row(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "ec2-on-demand", "sku": "p5.48xlarge", "region": "eu-north-1", "price": 10.0,
        "unit": "instance-hour", "date": "2026-12-01", "source": "contract X-1", "verified": True,
    }  # fmt: skip
    return {**base, **changes}


def test_every_shipped_price_is_dated_sourced_and_marked() -> None:
    catalog = Catalog(DATA_DIR)
    assert catalog.prices.currency == "USD" and catalog.prices.hours_per_month == 730
    assert catalog.prices.rows, "prices.yaml has rows"
    for r in catalog.prices.rows:
        assert r.source and r.date <= TODAY + dt.timedelta(days=365)
        # No primary source held a number: every shipped row says so, and the refresh is how it becomes verified.
        assert r.verified is False, r.key
    assert catalog.prices.find("bedrock-provisioned", "titan-embed-text-v2", "eu-north-1", "OneMonth") is None


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"unit": "ptu-hour"}, "ec2-on-demand is priced per instance-hour, not ptu-hour"),
        ({"term": "OneMonth"}, "only bedrock-provisioned rows have a term"),
        ({"price": 0}, "greater than 0"),
        ({"currency": "usd"}, "String should match pattern"),
    ],
)
def test_a_bad_price_row_names_its_key(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(PriceError) as err:
        parse_overrides([row(**changes)], "crosscloud:prices")
    assert problem in str(err.value) and str(err.value).startswith("crosscloud:prices[0]")


def test_two_rows_for_one_thing_are_refused() -> None:
    with pytest.raises(PriceError, match=r"crosscloud:prices\[1\]: a second row for ec2-on-demand p5.48xlarge"):
        parse_overrides([row(), row(price=11.0)], "crosscloud:prices")


def test_the_month_counts_only_the_hours_a_commitment_holds() -> None:
    table = Catalog(DATA_DIR).prices.with_overrides([PriceRow.model_validate(row())])
    base = Commitment("aws", "c", "capacity reservation", "ec2-on-demand", "p5.48xlarge", "eu-north-1", 2)
    open_ended = price(base, table, TODAY)
    assert (open_ended.hourly, open_ended.monthly, open_ended.term_total) == (20.0, 20.0 * 730, None)
    short = price(Commitment(**{**base.__dict__, "ends": TODAY + dt.timedelta(days=10)}), table, TODAY)
    assert (short.monthly, short.term_total) == (20.0 * 240, 20.0 * 240)
    later = Commitment(
        **{**base.__dict__, "starts": TODAY + dt.timedelta(days=5), "ends": TODAY + dt.timedelta(days=65)}
    )
    assert (price(later, table, TODAY).monthly, price(later, table, TODAY).term_total) == (20.0 * 730, 20.0 * 1440)
    unpriced = price(Commitment(**{**base.__dict__, "sku": "p4d.24xlarge"}), table, TODAY)
    assert unpriced.row is None and unpriced.monthly is None and not unpriced.verified


def test_over_budget_names_scope_amount_and_unverified_prices() -> None:
    table = Catalog(DATA_DIR).prices
    block = Commitment(
        "aws", "blk", "Capacity Block", "ec2-capacity-block", "p5.48xlarge", "eu-north-1", 1,
        TODAY, TODAY + dt.timedelta(days=1), cancellable=False,
    )  # fmt: skip
    priced = [price(block, table, TODAY)]
    assert over_budget(priced, Budget.model_validate({"monthly": {"aws": 1000}}), table) == []
    assert over_budget(priced, Budget.model_validate({"monthly": {"total": 900}}), table) == [
        "monthly commitment in total is 943.92 USD, over the budget of 900.00 USD (list prices include unverified rows)"
    ]


def test_the_overlay_replaces_rows_and_is_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    overlay = tmp_path / "prices.overlay.yaml"
    overlay.write_text(
        yaml.safe_dump(
            {"crosscloud-prices-overlay": 1, "read_at": "2026-12-03", "prices": [row(price=51.5, verified=True)]}
        )
    )
    monkeypatch.setenv(PRICES_OVERLAY_ENV, str(overlay))
    table = Catalog(DATA_DIR).prices
    merged = table.find("ec2-on-demand", "p5.48xlarge", "eu-north-1")
    assert merged is not None and (merged.price, merged.verified) == (51.5, True)
    assert table.overlay == str(overlay)
    assert table.find("ec2-capacity-block", "p5.48xlarge", "eu-north-1") is not None, "other rows stay"
    overlay.write_text(
        yaml.safe_dump({"crosscloud-prices-overlay": 1, "read_at": "2026-12-03", "prices": [row(unit="x")]})
    )
    with pytest.raises(CatalogError, match=r"prices\.0\.unit"):
        Catalog(DATA_DIR)
    monkeypatch.setenv(PRICES_OVERLAY_ENV, "relative.yaml")
    with pytest.raises(CatalogError, match="must be an absolute path"):
        Catalog(DATA_DIR)


class Recorded:
    """A fetch that answers from the recorded files, and records what was asked."""

    def __init__(self, *, ptu: str = "azure-retail-ptu.json") -> None:
        self.asked: list[str] = []
        self.ptu = ptu

    def __call__(self, url: str) -> IO[bytes]:
        self.asked.append(url)
        text = urllib.parse.unquote(url)
        if url == AWS_EC2_OFFER.format(region="eu-north-1"):
            name = "aws-ec2-eu-north-1.csv"
        elif "page2" in text:
            name = "azure-retail-vm-2.json"
        elif "armSkuName eq 'Standard_NC24ads_A100_v4'" in text:
            name = "azure-retail-vm-1.json"
        elif "meterName eq 'Provisioned Managed Unit'" in text:
            name = self.ptu
        elif "meterName eq" in text:
            name = "azure-retail-empty.json"
        else:
            raise AssertionError(f"unexpected URL {url}")
        return io.BytesIO((FIXTURES / name).read_bytes())


def test_refresh_reads_each_source_and_keeps_what_none_answers() -> None:
    import json

    fetch = Recorded()
    offerings = json.loads((FIXTURES / "capacity-block-offerings.json").read_text())
    result = refresh(Catalog(DATA_DIR).prices, fetch, TODAY, capacity_blocks=offerings)
    got = {r.key: (r.price, r.verified, r.date) for r in result.rows}
    assert got == {
        ("azure-vm", "Standard_NC24ads_A100_v4", "swedencentral", None): (3.8, True, TODAY),  # Linux, page 2
        ("azure-ptu", "ProvisionedManaged", "swedencentral", None): (2.25, True, TODAY),
        ("ec2-on-demand", "p5.48xlarge", "eu-north-1", None): (52.12, True, TODAY),  # Used, Linux, shared
        ("ec2-capacity-block", "p5.48xlarge", "eu-north-1", None): (31.0, True, TODAY),  # lowest offering
    }
    assert sorted(m.split(":")[0] for m in result.missing) == [
        "azure-ptu DataZoneProvisionedManaged swedencentral",
        "azure-ptu GlobalProvisionedManaged swedencentral",
    ]
    assert sum(url.startswith("https://pricing.us-east-1.amazonaws.com/") for url in fetch.asked) == 1
    summary = render_summary(result)
    assert "ec2-on-demand p5.48xlarge eu-north-1: 55.04 USD unverified -> 52.12 USD (verified)" in summary
    # The overlay it writes is one the loader reads.
    overlay = yaml.safe_load(render_overlay(result))
    assert overlay["crosscloud-prices-overlay"] == 1 and len(overlay["prices"]) == 4
    without_blocks = refresh(Catalog(DATA_DIR).prices, Recorded(), TODAY)
    block = next(r for r in without_blocks.rows if r.kind == "ec2-capacity-block")
    assert block.price == 31.46, "the price list's Capacity Block rate when no offering was read"


def test_refresh_refuses_what_is_not_a_price_list(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"NoItems": true}')

    class Broken(Recorded):
        def __call__(self, url: str) -> IO[bytes]:
            if "prices.azure.com" in url:
                return io.BytesIO((tmp_path / "broken.json").read_bytes())
            return super().__call__(url)

    with pytest.raises(RefreshError, match="no Items list in the answer"):
        refresh(Catalog(DATA_DIR).prices, Broken(), TODAY)
    with pytest.raises(RefreshError, match="no CapacityBlockOfferings list"):
        refresh(Catalog(DATA_DIR).prices, Recorded(), TODAY, capacity_blocks={"Offerings": []})
