"""`crosscloud prices refresh`: the price table's rows read again from the vendors' public, machine-readable price
lists, saved as an overlay the catalog loader merges (CROSSCLOUD_PRICES_OVERLAY).

- Azure VM sizes and PTUs: the Azure Retail Prices API (https://prices.azure.com/api/retail/prices, no credentials;
  OData `$filter`, pages linked by `NextPageLink`; Microsoft Learn "Azure Retail Prices overview"). VM rows take the
  Linux pay-as-you-go meter (the Windows meter shares its meterName and differs in productName; Spot and Low Priority
  meters are skipped).
- EC2 On-Demand and Capacity Block rates: the AWS Price List offer file of AmazonEC2 per Region, in its CSV form
  (https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/<region>/index.csv, no credentials),
  read as a stream: the file runs to hundreds of megabytes. Linux, shared tenancy, no pre-installed software; the
  `MarketOption` column tells On-Demand rows from Capacity Block rows.
- Capacity Block offerings: `aws ec2 describe-capacity-block-offerings` (needs credentials, so it is read from the
  file the user saved): `UpfrontFee / (InstanceCount x CapacityBlockDurationHours)` is the instance-hour rate of an
  offering; the lowest of the offerings for a type and Region wins over the price list's rate.

Rows read this way are `verified: true` with the URL and the day they were read; a row no source answered keeps its
shipped value and is listed as not found. Tested on recorded responses (tests/fixtures/prices/).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import yaml

from crosscloud.catalog.prices import PriceTable
from crosscloud.catalog.schema import PriceRow

AZURE_RETAIL = "https://prices.azure.com/api/retail/prices"
AWS_EC2_OFFER = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/{region}/index.csv"
MAX_AZURE_PAGES = 20
MAX_JSON_BYTES = 32 * 1024 * 1024
TIMEOUT_SECONDS = 60
# The Retail Prices API meter of each provisioned deployment type. Not confirmed by a primary source (a public
# fixture shows "Provisioned Managed Unit"): a meter the API does not return leaves the shipped row as it is.
PTU_METERS = {
    "ProvisionedManaged": "Provisioned Managed Unit",
    "DataZoneProvisionedManaged": "Data Zone Provisioned Managed Unit",
    "GlobalProvisionedManaged": "Global Provisioned Managed Unit",
}

Fetch = Callable[[str], IO[bytes]]


class RefreshError(Exception):
    """A price source answered with something that is not a price list (the message names the URL)."""


def http_get(url: str) -> IO[bytes]:
    """The body of an HTTPS GET, as a stream."""
    if not url.startswith("https://"):
        raise RefreshError(f"{url}: only https sources are read")
    request = urllib.request.Request(url, headers={"User-Agent": "crosscloud-prices-refresh"})  # noqa: S310
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)  # type: ignore[no-any-return]  # noqa: S310
    except OSError as exc:
        raise RefreshError(f"{url}: {exc}") from None


@dataclass
class RefreshResult:
    today: dt.date
    rows: list[PriceRow] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


# -- Azure Retail Prices API -----------------------------------------------------------------------------------------


def _azure_items(fetch: Fetch, filter_: str) -> Iterator[dict[str, Any]]:
    url: str | None = f"{AZURE_RETAIL}?$filter={urllib.parse.quote(filter_)}"
    for _ in range(MAX_AZURE_PAGES):
        if url is None:
            return
        with fetch(url) as response:
            body = response.read(MAX_JSON_BYTES + 1)
        if len(body) > MAX_JSON_BYTES:
            raise RefreshError(f"{url}: answer larger than {MAX_JSON_BYTES // (1024 * 1024)} MiB")
        try:
            page = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RefreshError(f"{url}: not JSON ({exc})") from None
        if not isinstance(page, dict) or not isinstance(page.get("Items"), list):
            raise RefreshError(f"{url}: no Items list in the answer")
        yield from (i for i in page["Items"] if isinstance(i, dict))
        next_url = page.get("NextPageLink")
        url = next_url if isinstance(next_url, str) and next_url.startswith(AZURE_RETAIL) else None


def _linux_vm(item: dict[str, Any]) -> bool:
    product, sku = str(item.get("productName", "")), str(item.get("skuName", ""))
    return (
        item.get("type", item.get("priceType")) == "Consumption"
        and item.get("unitOfMeasure") == "1 Hour"
        and not product.endswith("Windows")
        and "Spot" not in sku
        and "Low Priority" not in sku
    )


def _azure_row(row: PriceRow, fetch: Fetch, today: dt.date) -> tuple[PriceRow | None, str]:
    if row.kind == "azure-vm":
        filter_ = (
            f"serviceName eq 'Virtual Machines' and armRegionName eq '{row.region}' and armSkuName eq '{row.sku}' "
            "and priceType eq 'Consumption'"
        )
        items = [i for i in _azure_items(fetch, filter_) if _linux_vm(i)]
    else:
        meter = PTU_METERS.get(row.sku)
        if meter is None:
            return None, f"no Retail Prices meter is known for {row.sku}"
        filter_ = f"armRegionName eq '{row.region}' and meterName eq '{meter}' and priceType eq 'Consumption'"
        items = [i for i in _azure_items(fetch, filter_) if i.get("unitOfMeasure") == "1 Hour"]
    prices = sorted({float(i["retailPrice"]) for i in items if isinstance(i.get("retailPrice"), int | float)})
    if not prices:
        return None, f"the Azure Retail Prices API lists no meter for {row.sku} in {row.region}"
    if len(prices) > 1:
        return None, f"the Azure Retail Prices API lists {len(prices)} rates for {row.sku} in {row.region}"
    item = next(i for i in items if float(i["retailPrice"]) == prices[0])
    currency = str(item.get("currencyCode", "USD"))
    started = str(item.get("effectiveStartDate", ""))[:10]
    return (
        PriceRow(
            kind=row.kind,
            sku=row.sku,
            region=row.region,
            price=prices[0],
            currency=currency,
            unit=row.unit,
            date=today,
            source=f"{AZURE_RETAIL} ($filter {filter_}; meter {item.get('meterName')!s}, effective {started})",
            verified=True,
        ),
        "",
    )


# -- AWS Price List offer files --------------------------------------------------------------------------------------


def _column(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _offer_rows(stream: IO[bytes]) -> Iterator[dict[str, str]]:
    """Rows of an offer file CSV (metadata lines first, then a header row that starts with SKU), keyed by the
    lower-case alphanumeric column name ('Instance Type' -> 'instancetype')."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    for fields in reader:
        if header is None:
            if fields and fields[0] == "SKU":
                header = [_column(f) for f in fields]
            continue
        yield dict(zip(header, fields, strict=False))


def _ec2_match(fields: dict[str, str], market: str) -> bool:
    return (
        fields.get("termtype") == "OnDemand"
        and fields.get("operatingsystem") == "Linux"
        and fields.get("tenancy") == "Shared"
        and fields.get("preinstalledsw") == "NA"
        and fields.get("licensemodel", "No License required") == "No License required"
        and fields.get("capacitystatus", "Used") == "Used"
        and fields.get("marketoption", "OnDemand") == market
        and fields.get("unit") == "Hrs"
    )


def _aws_rows(rows: list[PriceRow], fetch: Fetch, today: dt.date) -> dict[tuple[str, str, str], float]:
    """{(kind, sku, region): rate} from each Region's offer file (read once per Region)."""
    found: dict[tuple[str, str, str], float] = {}
    for region in sorted({r.region for r in rows}):
        wanted = {(r.kind, r.sku) for r in rows if r.region == region}
        url = AWS_EC2_OFFER.format(region=region)
        with fetch(url) as stream:
            for fields in _offer_rows(stream):
                kind_of = {"OnDemand": "ec2-on-demand", "CapacityBlock": "ec2-capacity-block"}
                market = fields.get("marketoption", "OnDemand")
                kind = kind_of.get(market)
                sku = fields.get("instancetype", "")
                if kind is None or (kind, sku) not in wanted or not _ec2_match(fields, market):
                    continue
                if fields.get("currency", "USD") != "USD":
                    continue
                try:
                    rate = float(fields.get("priceperunit", ""))
                except ValueError:
                    continue
                if rate > 0:
                    found[(kind, sku, region)] = rate
    return found


def _capacity_block_rates(offerings: Any) -> dict[tuple[str, str], tuple[float, str, int]]:
    """{(instance type, region): (lowest instance-hour rate, currency, offerings seen)} from a
    describe-capacity-block-offerings answer."""
    items = offerings.get("CapacityBlockOfferings") if isinstance(offerings, dict) else None
    if not isinstance(items, list):
        raise RefreshError("the Capacity Block offerings file has no CapacityBlockOfferings list")
    rates: dict[tuple[str, str], tuple[float, str, int]] = {}
    for offer in items:
        try:
            fee = float(offer["UpfrontFee"])
            count = int(offer["InstanceCount"])
            hours = int(offer["CapacityBlockDurationHours"])
            zone = str(offer["AvailabilityZone"])
            kind = str(offer["InstanceType"])
        except (KeyError, TypeError, ValueError):
            continue
        if count <= 0 or hours <= 0 or fee <= 0:
            continue
        region = zone.rstrip("abcdefghijklmnopqrstuvwxyz") if zone[-1:].isalpha() else zone
        rate = fee / (count * hours)
        best, currency, seen = rates.get((kind, region), (rate, str(offer.get("CurrencyCode", "USD")), 0))
        rates[(kind, region)] = (min(best, rate), currency, seen + 1)
    return rates


# -- the refresh ------------------------------------------------------------------------------------------------------


def _changed(old: PriceRow, new: PriceRow) -> str:
    what = f"{new.kind} {new.sku} {new.region}"
    if old.price == new.price and old.verified:
        return f"{what}: {new.price:g} {new.currency} (unchanged, confirmed)"
    was = f"{old.price:g} {old.currency}{'' if old.verified else ' unverified'}"
    return f"{what}: {was} -> {new.price:g} {new.currency} (verified)"


def refresh(table: PriceTable, fetch: Fetch, today: dt.date, *, capacity_blocks: Any = None) -> RefreshResult:
    result = RefreshResult(today)
    azure = [r for r in table.rows if r.kind in ("azure-vm", "azure-ptu")]
    aws = [r for r in table.rows if r.kind in ("ec2-on-demand", "ec2-capacity-block")]
    blocks = _capacity_block_rates(capacity_blocks) if capacity_blocks is not None else {}

    def add(old: PriceRow, new: PriceRow) -> None:
        result.rows.append(new)
        result.changes.append(_changed(old, new))

    for row in azure:
        new, why = _azure_row(row, fetch, today)
        if new is None:
            result.missing.append(f"{row.kind} {row.sku} {row.region}: {why}; kept the shipped row")
        else:
            add(row, new)
    rates = _aws_rows(aws, fetch, today) if aws else {}
    for row in aws:
        block = blocks.get((row.sku, row.region)) if row.kind == "ec2-capacity-block" else None
        if block is not None:
            rate, currency, seen = block
            source = (
                f"aws ec2 describe-capacity-block-offerings (lowest of {seen} offerings: UpfrontFee / instance-hours)"
            )
            add(
                row,
                row.model_copy(
                    update={
                        "price": round(rate, 4),
                        "currency": currency,
                        "date": today,
                        "source": source,
                        "verified": True,
                        "note": None,
                    }
                ),
            )
            continue
        rate_found = rates.get((row.kind, row.sku, row.region))
        if rate_found is None:
            result.missing.append(
                f"{row.kind} {row.sku} {row.region}: not in the AmazonEC2 offer file; kept the shipped row"
            )
            continue
        url = AWS_EC2_OFFER.format(region=row.region)
        add(
            row,
            row.model_copy(
                update={
                    "price": rate_found,
                    "currency": "USD",
                    "date": today,
                    "source": f"{url} (read {today})",
                    "verified": True,
                    "note": None,
                }
            ),
        )
    return result


def render_summary(result: RefreshResult) -> str:
    lines = [f"Prices read {result.today}: {len(result.rows)} updated, {len(result.missing)} not found"]
    lines += [f"  {line}" for line in result.changes]
    lines += [f"  not found: {line}" for line in result.missing]
    return "\n".join(lines) + "\n"


def render_overlay(result: RefreshResult) -> str:
    data = {
        "crosscloud-prices-overlay": 1,
        "read_at": result.today.isoformat(),
        "prices": [r.model_dump(mode="json", exclude_none=True) for r in result.rows],
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
