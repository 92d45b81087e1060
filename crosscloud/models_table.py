"""`crosscloud models`: where each catalog model can run, by which route, optionally under a residency set.

Every region shown comes from a catalog row with a source; a deployment SKU whose matrix lists no region is shown as
"unlisted" and never as offered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from crosscloud.catalog import AwsOffering, AzureOffering, Catalog, ResidencySet
from crosscloud.catalog.loader import Cloud


@dataclass(frozen=True)
class Row:
    model: str
    cloud: Cloud
    kind: str
    route: str
    offering: str
    regions: list[str]


def _marks(offer: AwsOffering | AzureOffering) -> str:
    retired = f" (retired {offer.retirement})" if offer.status == "retired" else ""
    return retired + ("" if offer.verified else " (unverified)")


def _aws_way(offer: AwsOffering) -> tuple[str, str]:
    route = "in-region" if offer.kind == "in-region" else f"{offer.prefix}. profile"
    return route, offer.invoke_id + _marks(offer)


def _azure_way(offer: AzureOffering) -> tuple[str, str]:
    if offer.route == "serverless":
        return "serverless API", (offer.serverless_model_id or offer.name) + _marks(offer)
    return "deployment", f"{offer.sku} ({offer.processing})" + _marks(offer)


def _ways(
    catalog: Catalog, model: str, cloud: Cloud, residency: ResidencySet | None
) -> dict[tuple[str, str], list[str]]:
    """(route, offering) -> regions: every offering (retired ones marked), or under a residency only the resident
    ones that are not retired."""
    regions = (residency.aws if cloud == "aws" else residency.azure) if residency else catalog.regions_of(cloud)
    ways: dict[tuple[str, str], list[str]] = defaultdict(list)
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


def _unlisted(catalog: Catalog, model: str) -> list[str]:
    azure = catalog.models[model].azure
    return sorted(sku for sku, regions in azure.skus.items() if not regions) if azure else []


def rows(catalog: Catalog, residency: ResidencySet | None, clouds: list[Cloud]) -> list[Row]:
    found = []
    for key, model in catalog.models.items():
        for cloud in clouds:
            if getattr(model, cloud) is None:
                continue
            ways = _ways(catalog, key, cloud, residency)
            for (route, offering), regions in ways.items():
                found.append(Row(key, cloud, model.kind, route, offering, regions))
            unlisted = _unlisted(catalog, key) if cloud == "azure" and residency is None else []
            found += [Row(key, cloud, model.kind, "deployment", f"{sku}: unlisted", []) for sku in unlisted]
            if not ways and not unlisted:
                found.append(Row(key, cloud, model.kind, "-", "no resident offering" if residency else "none", []))
    return found


@dataclass(frozen=True)
class ResidencySummary:
    both: list[str]
    aws_only: list[str]
    azure_only: list[str]


def residency_summary(catalog: Catalog, residency: ResidencySet) -> ResidencySummary:
    """Which models are resident under `residency` on both clouds, and which on one side only."""
    resident: dict[Cloud, set[str]] = {
        cloud: {m for m in catalog.models_on(cloud) if catalog.resident_regions(m, cloud, residency)}
        for cloud in ("aws", "azure")
    }
    return ResidencySummary(
        both=sorted(resident["aws"] & resident["azure"]),
        aws_only=sorted(resident["aws"] - resident["azure"]),
        azure_only=sorted(resident["azure"] - resident["aws"]),
    )


def models_table(catalog: Catalog, residency_name: str | None, cloud: Cloud | None, *, both: bool = False) -> str:
    residency = catalog.residency(residency_name) if residency_name else None
    clouds: list[Cloud] = [cloud] if cloud else ["aws", "azure"]
    table = rows(catalog, residency, clouds)
    summary = residency_summary(catalog, residency) if residency else None
    if both and summary is not None:
        table = [r for r in table if r.model in summary.both and r.regions]
    header = (
        "MODEL",
        "CLOUD",
        "KIND",
        "ROUTE",
        "OFFERING",
        f"RESIDENT IN {residency_name}" if residency else "REGIONS",
    )
    cells = [(r.model, r.cloud, r.kind, r.route, r.offering, ", ".join(r.regions) if r.regions else "-") for r in table]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(5)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(c[:5], widths, strict=True)) + "  " + c[5] for c in [header, *cells]]
    if summary is not None:
        lines += [
            "",
            f"Resident under {residency_name} on both clouds: {', '.join(summary.both) or 'none'}",
            f"On AWS only: {', '.join(summary.aws_only) or 'none'}",
            f"On Azure only: {', '.join(summary.azure_only) or 'none'}",
        ]
    return "\n".join(line.rstrip() for line in lines) + "\n"
