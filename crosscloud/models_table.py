"""`crosscloud models`: where each catalog model can run, by which route, optionally under a residency set, of one
kind, in one Region or on one cloud; as a table that fits 120 columns, or as JSON.

Every region shown comes from a catalog row with a source; a deployment SKU whose matrix lists no region is shown as
"unlisted" and never as offered.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from crosscloud.catalog import AwsOffering, AzureOffering, Catalog, ResidencySet
from crosscloud.catalog.loader import Cloud

WIDTH = 120
UNVERIFIED = "*"
SELFHOSTED = "self-hosted"
# Marks a model the summary counts on a cloud only because its open weights can be self-hosted there.
BY_SELFHOSTING = "+"
_AZUREML = re.compile(r"azureml://registries/([^/]+)/models/([^/]+)(?:/versions/([^/]+))?")


@dataclass(frozen=True)
class Row:
    model: str
    cloud: Cloud
    kind: str
    route: str
    offering: str  # the identifier to use (Bedrock invoke ID, Azure SKU, azureml asset ID), in full
    verified: bool
    regions: list[str]


def _retired(offer: AwsOffering | AzureOffering) -> str:
    return f" (retired {offer.retirement})" if offer.status == "retired" else ""


def _aws_way(offer: AwsOffering) -> tuple[str, str, bool]:
    route = "in-region" if offer.kind == "in-region" else f"{offer.prefix}. profile"
    return route, offer.invoke_id + _retired(offer), offer.verified


def _azure_way(offer: AzureOffering) -> tuple[str, str, bool]:
    if offer.route == "serverless":
        return "serverless API", (offer.serverless_model_id or offer.name) + _retired(offer), offer.verified
    return "deployment", f"{offer.sku} ({offer.processing})" + _retired(offer), offer.verified


def _ways(
    catalog: Catalog, model: str, cloud: Cloud, residency: ResidencySet | None
) -> dict[tuple[str, str, bool], list[str]]:
    """(route, offering, verified) -> regions: every offering (retired ones marked), or under a residency only the
    resident ones that are not retired."""
    regions = (residency.aws if cloud == "aws" else residency.azure) if residency else catalog.regions_of(cloud)
    ways: dict[tuple[str, str, bool], list[str]] = defaultdict(list)
    shown = residency is None
    for region in sorted(regions):
        if cloud == "aws":
            for aws_offer in catalog.aws_offerings(model, region, include_retired=shown):
                if residency is None or aws_offer.resident_in(residency):
                    ways[_aws_way(aws_offer)].append(region)
        else:
            for azure_offer in catalog.azure_offerings(model, region, include_retired=shown):
                if residency is None or azure_offer.resident_in(residency):
                    ways[_azure_way(azure_offer)].append(region)
    return ways


def _selfhosted_ways(
    catalog: Catalog, model: str, cloud: Cloud, residency: ResidencySet | None
) -> dict[tuple[str, str, bool], list[str]]:
    """The self-hosted route: vLLM on a reservable GPU type that fits the model's open weights, per type."""
    return {
        (SELFHOSTED, f"vLLM on {sku}", verified): regions
        for sku, (regions, verified) in catalog.selfhosted_offerings(model, cloud, residency).items()
    }


def _unlisted(catalog: Catalog, model: str) -> list[str]:
    azure = catalog.models[model].azure
    return sorted(sku for sku, regions in azure.skus.items() if not regions) if azure else []


def rows(
    catalog: Catalog,
    residency: ResidencySet | None,
    clouds: list[Cloud],
    *,
    kind: str | None = None,
    region: str | None = None,
) -> list[Row]:
    """Every offering of every model (of `kind`) on `clouds`; with `region`, only offerings there (and no
    "unlisted"/"none" rows: a region filter asks what runs there)."""
    found = []
    for key, model in catalog.models.items():
        if kind is not None and model.kind != kind:
            continue
        for cloud in clouds:
            if getattr(model, cloud) is None and model.open_weights is None:
                continue
            ways = _ways(catalog, key, cloud, residency) if getattr(model, cloud) is not None else {}
            ways |= _selfhosted_ways(catalog, key, cloud, residency)
            if region is not None:
                found += [
                    Row(key, cloud, model.kind, route, offering, verified, [region])
                    for (route, offering, verified), regions in ways.items()
                    if region in regions
                ]
                continue
            for (route, offering, verified), regions in ways.items():
                found.append(Row(key, cloud, model.kind, route, offering, verified, regions))
            unlisted = _unlisted(catalog, key) if cloud == "azure" and residency is None else []
            found += [Row(key, cloud, model.kind, "deployment", f"{sku}: unlisted", True, []) for sku in unlisted]
            if not ways and not unlisted:
                found.append(
                    Row(key, cloud, model.kind, "-", "no resident offering" if residency else "none", True, [])
                )
    return found


@dataclass(frozen=True)
class ResidencySummary:
    both: list[str]
    aws_only: list[str]
    azure_only: list[str]
    # Models in these lists that are resident on a cloud only through self-hosting (vLLM on a GPU reservation).
    by_selfhosting: list[str] = field(default_factory=list)


def residency_summary(catalog: Catalog, residency: ResidencySet, kind: str | None = None) -> ResidencySummary:
    """Which models (of `kind`) are resident under `residency` on both clouds, and which on one side only."""
    wanted = [m for m, model in catalog.models.items() if kind is None or model.kind == kind]
    managed: dict[Cloud, set[str]] = {
        cloud: {
            m for m in wanted if getattr(catalog.models[m], cloud) and catalog.resident_regions(m, cloud, residency)
        }
        for cloud in ("aws", "azure")
    }
    hosted: dict[Cloud, set[str]] = {
        cloud: {m for m in wanted if catalog.selfhosted_regions(m, cloud, residency)} for cloud in ("aws", "azure")
    }
    resident = {cloud: managed[cloud] | hosted[cloud] for cloud in managed}
    return ResidencySummary(
        both=sorted(resident["aws"] & resident["azure"]),
        aws_only=sorted(resident["aws"] - resident["azure"]),
        azure_only=sorted(resident["azure"] - resident["aws"]),
        by_selfhosting=sorted(
            m for m in resident["aws"] | resident["azure"] if any(m in resident[c] - managed[c] for c in managed)
        ),
    )


def short_offering(row: Row) -> str:
    """The offering as the table shows it: an azureml asset ID as "<model> v<version> (<registry>)", the full ID
    stays in `--format json`; an unverified row marked with UNVERIFIED."""
    match = _AZUREML.fullmatch(row.offering)
    if match:
        version = f" v{match.group(3)}" if match.group(3) else ""
        text = f"{match.group(2)}{version} ({match.group(1)})"
    else:
        text = row.offering
    return text + ("" if row.verified else UNVERIFIED)


def _table(table: list[Row], regions_header: str) -> list[str]:
    """A line per model ("<model> (<kind>)"), then a row per offering: cloud, route, offering, and the regions
    wrapped inside their column, so every line fits WIDTH."""
    header = ("  CLOUD", "ROUTE", "OFFERING")
    cells = [(f"  {r.cloud}", r.route, short_offering(r)) for r in table]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(3)]
    lead_width = sum(widths) + 2 * 3
    room = max(WIDTH - lead_width, 20)

    def row(cell: tuple[str, str, str], regions: str) -> list[str]:
        lead = "  ".join(v.ljust(w) for v, w in zip(cell, widths, strict=True)) + "  "
        wrapped = textwrap.wrap(regions, width=room, break_on_hyphens=False) or ["-"]
        return [lead + wrapped[0], *(" " * lead_width + more for more in wrapped[1:])]

    lines = ["MODEL (KIND)", *row(header, regions_header)]
    model = None
    for cell, r in zip(cells, table, strict=True):
        if r.model != model:
            model = r.model
            lines.append(f"{r.model} ({r.kind})")
        lines += row(cell, ", ".join(r.regions) if r.regions else "-")
    return lines


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, width=WIDTH, subsequent_indent="    ", break_on_hyphens=False)


def models_table(
    catalog: Catalog,
    residency_name: str | None,
    cloud: Cloud | None,
    *,
    both: bool = False,
    kind: str | None = None,
    region: str | None = None,
    as_json: bool = False,
) -> str:
    residency = catalog.residency(residency_name) if residency_name else None
    clouds: list[Cloud] = [cloud] if cloud else ["aws", "azure"]
    table = rows(catalog, residency, clouds, kind=kind, region=region)
    summary = residency_summary(catalog, residency, kind) if residency else None
    if both and summary is not None:
        table = [r for r in table if r.model in summary.both and r.regions]
    if as_json:
        document: dict[str, object] = {"offerings": [asdict(r) for r in table]}
        if summary is not None:
            document["residency"] = {"name": residency_name, **asdict(summary)}
        return json.dumps(document, indent=2) + "\n"
    lines = _table(table, f"RESIDENT IN {residency_name}" if residency else "REGIONS")
    notes = []
    if any(not r.verified for r in table):
        notes.append(f"{UNVERIFIED} unverified: no primary source confirms this row; shown, never offered in prod")
    if any(r.route == SELFHOSTED for r in table):
        notes += _wrapped(
            "self-hosted: the model's pinned open weights served by vLLM on a GPU reservation the stack declares "
            "(crosscloud:gpu); the regions are where the catalog lists a reservable GPU type that fits"
        )
    lines += ["", *notes] if notes else []
    if summary is not None:
        marked = set(summary.by_selfhosting)

        def names(models: list[str]) -> str:
            return ", ".join(f"{m}{BY_SELFHOSTING if m in marked else ''}" for m in models) or "none"

        lines += [
            "",
            *_wrapped(f"Resident under {residency_name} on both clouds: {names(summary.both)}"),
            *_wrapped(f"On AWS only: {names(summary.aws_only)}"),
            *_wrapped(f"On Azure only: {names(summary.azure_only)}"),
        ]
        if marked:
            lines += _wrapped(f"{BY_SELFHOSTING} on one cloud only by self-hosting its open weights")
    return "\n".join(line.rstrip() for line in lines) + "\n"
