"""The declaration against the catalog's lifecycle rows: retired models, imminent retirements, commitments that would
outlive their model, and Bedrock endpoint services a Region does not offer.

- A retired offering is an error everywhere (its deployments fail), naming the date and the replacement.
- An offering that retires within `crosscloud:lifecycle.warn_days` (default 90) is an error in prod unless the
  endpoint's cloud choice carries `lifecycle_ack: "<who> <ticket>"`; elsewhere it is a note.
- Legacy and deprecated offerings are notes (both clouds say new customers may be refused).
- Commitments: Bedrock provisioned throughput cannot be bought for a Legacy model, nor for a term that ends after the
  model's end of life (AWS refuses both, so everywhere); an Azure provisioned (PTU) deployment in prod must end
  (`throughput.ends`) on or before its model's retirement.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from crosscloud.catalog.schema import Lifecycle
from crosscloud.declaration.errors import ConfigIssue, join_allowed
from crosscloud.declaration.spec import Cloud

if TYPE_CHECKING:
    from crosscloud.declaration.checks import ResolvedEndpoint, _Checker

CLOUD_NAMES = {"aws": "Amazon Bedrock", "azure": "Azure AI Foundry"}
MANTLE = "bedrock-mantle"
_TERM_MONTHS = {"OneMonth": 1, "SixMonths": 6}


def _replacement(row: Lifecycle) -> str:
    return f"replacement: {row.replacement}" if row.replacement else "the vendor names no replacement"


def _cited(row: Lifecycle) -> str:
    return f"{row.source}, read {row.date}"


def refuse_retired(checker: _Checker, path: str, model: str, cloud: Cloud) -> bool:
    """Report `model` on `cloud` if every offering of it is retired; True if it was."""
    catalog = checker.catalog
    entry = catalog.models[model]
    rows = [entry.aws.lifecycle] if cloud == "aws" and entry.aws else (entry.azure.lifecycle if entry.azure else [])
    if not rows or any(r.status_on(checker.today) != "retired" for r in rows):
        return False
    row = catalog.lifecycle(model, cloud)
    assert row is not None
    when = f"on {row.retirement}" if row.retirement else "(no date given)"
    checker.add(
        path,
        model,
        f"retired on {CLOUD_NAMES[cloud]} {when} ({_cited(row)}); deployments of it fail; {_replacement(row)}",
        _alternatives(checker, model, cloud),
    )
    return True


def _alternatives(checker: _Checker, model: str, cloud: Cloud) -> str:
    row = checker.catalog.lifecycle(model, cloud)
    if row and row.replacement and row.replacement in checker.catalog.models:
        return f"{row.replacement} (see `crosscloud models --lifecycle`)"
    return "a model that is not retired (see `crosscloud models --lifecycle`)"


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def check_endpoints(checker: _Checker, endpoints: list[ResolvedEndpoint]) -> None:
    """The window, legacy/deprecated notes and commitments for every resolved endpoint."""
    index = {e.name: i for i, e in enumerate(checker.spec.endpoints)}
    for resolved in endpoints:
        i = index[resolved.name]
        endpoint = checker.spec.endpoints[i]
        if resolved.aws is not None and endpoint.aws is not None:
            path = f"crosscloud:endpoints[{i}].aws"
            row = checker.catalog.lifecycle(resolved.aws.model, "aws")
            if row is not None:
                _window(checker, path, resolved.name, resolved.aws.model, "aws", row, endpoint.aws.lifecycle_ack)
                _bedrock_commitment(checker, path, endpoint.aws, row)
        if resolved.azure is not None and endpoint.azure is not None:
            path = f"crosscloud:endpoints[{i}].azure"
            offer = resolved.azure
            row = checker.catalog.lifecycle(offer.model, "azure", offer.sku)
            if row is not None:
                _window(checker, path, resolved.name, offer.model, "azure", row, endpoint.azure.lifecycle_ack)
                if offer.provisioned:
                    _azure_commitment(checker, path, offer.model, endpoint.azure.throughput.ends, row)


def _window(
    checker: _Checker, path: str, endpoint: str, model: str, cloud: Cloud, row: Lifecycle, ack: str | None
) -> None:
    today, window = checker.today, checker.spec.lifecycle.warn_days
    stage = row.status_on(today)
    days = row.days_left(today)
    where = f"endpoint {endpoint!r}: {model} on {CLOUD_NAMES[cloud]}"
    if days is not None and days <= window:
        text = (
            f"retires on {row.retirement}, in {days} days (inside crosscloud:lifecycle.warn_days {window}; "
            f"{_cited(row)}); {_replacement(row)}"
        )
        if ack is not None:
            checker.notes.append(f"{where} {text}; acknowledged by {ack}")
        elif checker.spec.environment == "prod":
            checker.add(
                f"{path}.model",
                model,
                text,
                f"a model that retires later, or {path}.lifecycle_ack: '<who> <ticket>' to accept it",
            )
        else:
            checker.notes.append(f"{where} {text}")
        return
    if stage in ("legacy", "deprecated"):
        meaning = "new customers can't use it" if cloud == "aws" else "it may be refused to subscriptions new to it"
        retires = f", retires on {row.retirement}" if row.retirement else ""
        checker.notes.append(f"{where} is {stage} ({meaning}{retires}; {_cited(row)}); {_replacement(row)}")


def _bedrock_commitment(checker: _Checker, path: str, choice: object, row: Lifecycle) -> None:
    provisioned = getattr(choice, "provisioned", None)
    model = getattr(choice, "model", "?")
    if provisioned is None:
        return
    stage = row.status_on(checker.today)
    if stage != "active":
        checker.add(
            f"{path}.provisioned",
            model,
            f"is {stage} on Amazon Bedrock: new provisioned throughput cannot be created for it ({_cited(row)})",
            f"an active model ({_replacement(row)}), or no provisioned throughput",
        )
        return
    months = _TERM_MONTHS.get(provisioned.commitment or "")
    if months is None or row.retirement is None:
        return
    ends = add_months(checker.today, months)
    if ends > row.retirement:
        checker.add(
            f"{path}.provisioned.commitment",
            provisioned.commitment,
            f"a term bought today ends {ends}, after {model}'s end of life on {row.retirement} ({_cited(row)}); "
            "AWS sells a commitment only if it ends before the EOL date",
            join_allowed([t for t, m in _TERM_MONTHS.items() if add_months(checker.today, m) <= row.retirement])
            or "no commitment (hourly), or a model with a later end of life",
        )


def _azure_commitment(checker: _Checker, path: str, model: str, ends: dt.date | None, row: Lifecycle) -> None:
    if row.retirement is None:
        return
    if ends is not None and ends <= row.retirement:
        return
    problem = (
        f"a provisioned (PTU) commitment of {model} with no end runs past its retirement on {row.retirement}"
        if ends is None
        else f"the provisioned (PTU) commitment ends {ends}, after {model} retires on {row.retirement}"
    )
    problem += f" ({_cited(row)}); {_replacement(row)}"
    if checker.spec.environment == "prod":
        allowed = f"a date on or before {row.retirement}"
        if ends is None:
            checker.issues.append(
                ConfigIssue(checker.file, f"{path}.throughput.ends", f"is not set: {problem}", allowed)
            )
        else:
            checker.add(f"{path}.throughput.ends", str(ends), problem, allowed)
    else:
        checker.notes.append(f"{path}: {problem}")


def check_mantle(checker: _Checker) -> None:
    """`endpoints.mantle: true` only where AWS lists the bedrock-mantle endpoint (an unlisted Region fails closed)."""
    aws = checker.spec.aws
    if aws is None or aws.network is None or not aws.network.endpoints.mantle:
        return
    supported, not_supported = checker.catalog.endpoint_service_regions(MANTLE)
    if aws.region in supported:
        return
    why = "lists it as not supported there" if aws.region in not_supported else "does not list the Region for it"
    residency = (
        checker.catalog.residency(checker.spec.residency)
        if checker.spec.residency in (checker.catalog.residency_names)
        else None
    )
    regions = sorted(supported & residency.aws) if residency else sorted(supported)
    checker.add(
        "crosscloud:aws.network.endpoints.mantle",
        True,
        f"the {MANTLE} interface endpoint is not offered in {aws.region} (AWS {why})",
        f"mantle: false, or a Region with it: {join_allowed(regions)}",
    )
