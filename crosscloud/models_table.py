"""`crosscloud models`: where each catalog model can run, and how, optionally under a residency set."""

from __future__ import annotations

from collections import defaultdict

from crosscloud.catalog import Catalog, ResidencySet
from crosscloud.catalog.loader import Cloud


def _aws_how(catalog: Catalog, model: str, residency: ResidencySet | None) -> tuple[list[str], str]:
    regions = sorted(residency.aws) if residency else catalog.regions_of("aws")
    by_way: dict[str, list[str]] = defaultdict(list)
    for region in regions:
        offers = catalog.aws_offerings(model, region)
        if residency is not None:
            chosen = catalog.select_aws(model, region, residency)
            offers = [chosen] if chosen else []
        for offer in offers:
            way = f"in-region {offer.model_id}" if offer.kind == "in-region" else f"profile {offer.invoke_id}"
            by_way[way].append(region)
    where = sorted({r for rs in by_way.values() for r in rs})
    return where, "; ".join(f"{way} ({len(rs)})" if residency is None else way for way, rs in by_way.items())


def _azure_how(catalog: Catalog, model: str, residency: ResidencySet | None) -> tuple[list[str], str]:
    regions = sorted(residency.azure) if residency else catalog.regions_of("azure")
    by_sku: dict[str, list[str]] = defaultdict(list)
    for region in regions:
        for offer in catalog.azure_offerings(model, region):
            if residency is None or offer.resident_in(residency):
                by_sku[offer.sku].append(region)
    where = sorted({r for rs in by_sku.values() for r in rs})
    how = "; ".join(
        f"{sku}: {', '.join(rs)}" if residency else f"{sku} ({len(rs)} regions)" for sku, rs in by_sku.items()
    )
    return where, how


def models_table(catalog: Catalog, residency_name: str | None, cloud: Cloud | None) -> str:
    residency = catalog.residency(residency_name) if residency_name else None
    clouds: list[Cloud] = [cloud] if cloud else ["aws", "azure"]
    header = ("MODEL", "CLOUD", "KIND", f"RESIDENT IN {residency_name}" if residency else "OFFERED IN", "HOW")
    rows: list[tuple[str, str, str, str, str]] = []
    for key, model in catalog.models.items():
        for c in clouds:
            if getattr(model, c) is None:
                continue
            where, how = (_aws_how if c == "aws" else _azure_how)(catalog, key, residency)
            if residency is not None and not where:
                how = "no resident offering: " + _offered_summary(catalog, key, c)
            regions = ", ".join(where) if residency is not None else f"{len(where)} regions"
            rows.append((key, c, model.kind, regions or "-", how))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header[:4], widths, strict=True)) + "  " + header[4]]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row[:4], widths, strict=True)) + "  " + row[4] for row in rows]
    return "\n".join(lines) + "\n"


def _offered_summary(catalog: Catalog, model: str, cloud: Cloud) -> str:
    if cloud == "aws":
        return _aws_how(catalog, model, None)[1] or "none"
    return _azure_how(catalog, model, None)[1] or "none"
