"""`crosscloud models --lifecycle`: what retires when, per offering (cloud, model version, SKU where the vendor
differs), soonest first, with the stage in force today, the replacement and the source of each row.

With `--stack STACK` only the models that stack's endpoints declare, and which endpoints use them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from crosscloud.catalog import Catalog
from crosscloud.catalog.loader import Cloud, today
from crosscloud.catalog.schema import Lifecycle


@dataclass(frozen=True)
class LifecycleRow:
    model: str
    cloud: Cloud
    version: str
    skus: str
    stage: str
    retirement: dt.date | None
    days: int | None
    replacement: str
    source: str
    used_by: str


def _row(key: str, cloud: Cloud, version: str, row: Lifecycle, on: dt.date, used_by: str) -> LifecycleRow:
    return LifecycleRow(
        model=key,
        cloud=cloud,
        version=version,
        skus=", ".join(row.skus) if row.skus else "all",
        stage=row.status_on(on),
        retirement=row.retirement,
        days=row.days_left(on),
        replacement=row.replacement or "-",
        source=f"{row.source} ({row.date})",
        used_by=used_by,
    )


def lifecycle_rows(
    catalog: Catalog, on: dt.date | None = None, used: dict[tuple[str, Cloud], list[str]] | None = None
) -> list[LifecycleRow]:
    """Every lifecycle row, or only those of the (model, cloud) pairs in `used` (-> the endpoints using them)."""
    day = on or today()
    found = []
    for key, model in catalog.models.items():
        for cloud in ("aws", "azure"):
            if used is not None and (key, cloud) not in used:
                continue
            who = ", ".join(used[(key, cloud)]) if used else ""
            if cloud == "aws" and model.aws is not None:
                found.append(_row(key, "aws", model.aws.model_id, model.aws.lifecycle, day, who))
            if cloud == "azure" and model.azure is not None:
                found += [_row(key, "azure", model.azure.version, r, day, who) for r in model.azure.lifecycle]
    return sorted(found, key=lambda r: (r.retirement or dt.date.max, r.model, r.cloud))


def endpoint_models(config: dict[str, object]) -> dict[tuple[str, Cloud], list[str]]:
    """(model, cloud) -> endpoint names, from a stack's `crosscloud:endpoints` (as read from its file)."""
    used: dict[tuple[str, Cloud], list[str]] = defaultdict(list)
    endpoints = config.get("crosscloud:endpoints")
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        if not isinstance(endpoint, dict):
            continue
        for cloud in ("aws", "azure"):
            choice = endpoint.get(cloud)
            if isinstance(choice, dict) and isinstance(choice.get("model"), str):
                used[(choice["model"], cloud)].append(str(endpoint.get("name", "?")))  # type: ignore[index]
    return dict(used)


def lifecycle_table(
    catalog: Catalog, on: dt.date | None = None, used: dict[tuple[str, Cloud], list[str]] | None = None
) -> str:
    day = on or today()
    rows = lifecycle_rows(catalog, day, used)
    header = ["MODEL", "CLOUD", "VERSION", "SKUS", "STAGE", "RETIRES", "IN DAYS", "REPLACEMENT", "SOURCE"]
    if used is not None:
        header.append("USED BY")
    cells = []
    for r in rows:
        days = "-" if r.days is None else str(r.days)
        cell = [r.model, r.cloud, r.version, r.skus, r.stage, str(r.retirement or "-"), days, r.replacement, r.source]
        if used is not None:
            cell.append(r.used_by)
        cells.append(cell)
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip() for c in [header, *cells]]
    lines.append("")
    lines.append(
        f"Stages as of {day} (derived from the vendors' dates, so they move on their own); retired offerings are "
        "never chosen. Sources: crosscloud/catalog/data/models.yaml."
    )
    return "\n".join(lines) + "\n"
