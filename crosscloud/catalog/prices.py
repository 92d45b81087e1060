"""Committed cost: the price table (prices.yaml, the refresh overlay, a stack's `crosscloud:prices`), the commitments a
stack makes, and what they cost a month against `crosscloud:budget`.

One module for the arithmetic, so `crosscloud cost`, `crosscloud exit-plan` and the capacity pack's
`monthly-commitment-within-budget` rule give the same numbers: they differ only in where they read the commitments
(the declaration, or the resources a program registers).

A month is `hours_per_month` hours (730). A commitment costs its rate x quantity for each hour it holds capacity in
the month ahead: a reservation that ends in less than a month counts only its remaining hours, one without an end
(a provisioned deployment, billed until deleted) a whole month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crosscloud.catalog.files import OverlayFileError, read_overlay_yaml
from crosscloud.catalog.schema import PriceKind, PriceRow, PricesFile, PricesOverlay, PriceTerm, PriceUnit

Cloud = Literal["aws", "azure"]
PRICES_OVERLAY_ENV = "CROSSCLOUD_PRICES_OVERLAY"
KIND_CLOUD: dict[str, Cloud] = {
    "ec2-on-demand": "aws",
    "ec2-capacity-block": "aws",
    "bedrock-provisioned": "aws",
    "azure-vm": "azure",
    "azure-ptu": "azure",
}
KIND_UNIT: dict[str, PriceUnit] = {
    "ec2-on-demand": "instance-hour",
    "ec2-capacity-block": "instance-hour",
    "azure-vm": "instance-hour",
    "azure-ptu": "ptu-hour",
    "bedrock-provisioned": "model-unit-hour",
}
TERM_MONTHS = {"OneMonth": 1, "SixMonths": 6}


class PriceError(ValueError):
    """A price file, overlay or override is malformed (the caller names the file or key)."""


def check_rows(rows: Iterable[PriceRow], where: str) -> None:
    """Each row's unit fits its kind, a term only on Bedrock rows, and no two rows price the same thing."""
    seen: set[tuple[str, str, str, str | None]] = set()
    for i, row in enumerate(rows):
        at = f"{where}[{i}]"
        if row.unit != KIND_UNIT[row.kind]:
            raise PriceError(f"{at}.unit: {row.kind} is priced per {KIND_UNIT[row.kind]}, not {row.unit}")
        if (row.term is not None) != (row.kind == "bedrock-provisioned"):
            raise PriceError(f"{at}.term: only bedrock-provisioned rows have a term (OneMonth, SixMonths, hourly)")
        if row.key in seen:
            raise PriceError(f"{at}: a second row for {row.kind} {row.sku} in {row.region}")
        seen.add(row.key)


def read_overlay(path: Path) -> list[PriceRow]:
    """The rows of a prices overlay file (`crosscloud prices refresh --write`), or PriceError naming the problem."""
    try:
        raw = read_overlay_yaml(path)
    except OverlayFileError as exc:
        raise PriceError(str(exc)) from None
    try:
        overlay = PricesOverlay.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PriceError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    check_rows(overlay.prices, "prices")
    return overlay.prices


def merged(shipped: Sequence[PriceRow], newer: Sequence[PriceRow]) -> list[PriceRow]:
    """`shipped` with every row of `newer` in place of the row that prices the same thing (or added)."""
    by_key = {row.key: row for row in shipped}
    for row in newer:
        by_key[row.key] = row
    return list(by_key.values())


@dataclass(frozen=True)
class PriceTable:
    """The prices in force: shipped rows, then the overlay's, then a stack's `crosscloud:prices`."""

    currency: str
    hours_per_month: int
    rows: tuple[PriceRow, ...]
    overlay: str | None = None  # the overlay file merged in, if any

    @classmethod
    def from_file(cls, data: PricesFile, overlay: Path | None = None) -> PriceTable:
        check_rows(data.prices, "prices.yaml: prices")
        rows = list(data.prices)
        if overlay is not None:
            if not overlay.is_absolute():
                raise PriceError(f"{PRICES_OVERLAY_ENV}={overlay}: must be an absolute path (packs run elsewhere)")
            try:
                rows = merged(rows, read_overlay(overlay))
            except PriceError as exc:
                raise PriceError(f"{overlay}: {exc}") from None
        return cls(data.currency, data.hours_per_month, tuple(rows), str(overlay) if overlay else None)

    def with_overrides(self, rows: Sequence[PriceRow]) -> PriceTable:
        return PriceTable(self.currency, self.hours_per_month, tuple(merged(self.rows, rows)), self.overlay)

    def find(self, kind: PriceKind, sku: str, region: str, term: PriceTerm | None = None) -> PriceRow | None:
        for row in self.rows:
            if row.key == (kind, sku, region, term):
                return row
        return None


# -- what a stack commits to -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commitment:
    """Capacity a stack holds and pays for whether it is used or not."""

    cloud: Cloud
    component: str  # the resource's name in the stack (what the cost table and the exit plan call it)
    what: str  # "Capacity Block", "capacity reservation", "PTU deployment", "provisioned throughput", ...
    kind: PriceKind
    sku: str
    region: str
    quantity: int  # instances, PTUs or model units
    starts: dt.date | None = None
    ends: dt.date | None = None
    term: PriceTerm | None = None
    # Whether deleting the resource stops the bill (a Capacity Block and a term commitment do not).
    cancellable: bool = True
    approved_by: str | None = None


@dataclass(frozen=True)
class Priced:
    commitment: Commitment
    row: PriceRow | None  # None: no price for it in the table
    hourly: float | None  # rate x quantity
    monthly: float | None  # cost in the month ahead
    term_total: float | None  # what the rest of the commitment costs (None: open-ended)

    @property
    def verified(self) -> bool:
        return self.row is not None and self.row.verified


def _hours(commitment: Commitment, today: dt.date, hours_per_month: int) -> tuple[int, int | None]:
    """(hours billed in the month ahead, hours left in the whole commitment or None when open-ended)."""
    if commitment.term in TERM_MONTHS:
        total = TERM_MONTHS[commitment.term] * hours_per_month
        return min(hours_per_month, total), total
    if commitment.ends is None:
        return hours_per_month, None
    start = max(commitment.starts or today, today)
    left = max(0, (commitment.ends - start).days) * 24
    return min(hours_per_month, left), left


def price(commitment: Commitment, table: PriceTable, today: dt.date) -> Priced:
    row = table.find(commitment.kind, commitment.sku, commitment.region, commitment.term)
    if row is None:
        return Priced(commitment, None, None, None, None)
    hourly = row.price * commitment.quantity
    month_hours, left = _hours(commitment, today, table.hours_per_month)
    return Priced(commitment, row, hourly, hourly * month_hours, None if left is None else hourly * left)


def price_all(commitments: Iterable[Commitment], table: PriceTable, today: dt.date) -> list[Priced]:
    return [price(c, table, today) for c in commitments]


def monthly_totals(priced: Iterable[Priced]) -> dict[str, float]:
    """{"aws": ..., "azure": ..., "total": ...} of the priced commitments (unpriced ones add nothing)."""
    totals = {"aws": 0.0, "azure": 0.0}
    for p in priced:
        totals[p.commitment.cloud] += p.monthly or 0.0
    return {**totals, "total": totals["aws"] + totals["azure"]}


# -- budget ------------------------------------------------------------------------------------------------------------


class MonthlyLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    total: float | None = Field(default=None, gt=0)
    aws: float | None = Field(default=None, gt=0)
    azure: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some(self) -> MonthlyLimits:
        if self.total is None and self.aws is None and self.azure is None:
            raise ValueError("name at least one of total, aws, azure")
        return self

    def items(self) -> list[tuple[str, float]]:
        return [(scope, limit) for scope in ("aws", "azure", "total") if (limit := getattr(self, scope)) is not None]


class Budget(BaseModel):
    """`crosscloud:budget`: the most the stack's commitments may cost a month, per cloud and/or in total."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    monthly: MonthlyLimits


def money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def over_budget(priced: Sequence[Priced], budget: Budget, table: PriceTable) -> list[str]:
    """One line per limit the month's commitments exceed, and per commitment that cannot be priced against it
    (no price, another currency): the budget cannot be shown to hold, so it does not (fail closed)."""
    problems: list[str] = []
    for p in priced:
        c = p.commitment
        if p.row is None:
            problems.append(
                f"{c.component}: no price for {c.kind} {c.sku} in {c.region}"
                f"{f' ({c.term})' if c.term else ''}, so the budget cannot be checked; add a row to crosscloud:prices"
            )
        elif p.row.currency != budget.currency:
            problems.append(
                f"{c.component}: priced in {p.row.currency}, the budget is in {budget.currency}; "
                f"give crosscloud:prices a row in {budget.currency}"
            )
    totals = monthly_totals(p for p in priced if p.row is not None and p.row.currency == budget.currency)
    for scope, limit in budget.monthly.items():
        spent = totals[scope]
        if spent > limit:
            what = "in total" if scope == "total" else f"on {scope}"
            unverified = any(not p.verified for p in priced if scope in ("total", p.commitment.cloud))
            problems.append(
                f"monthly commitment {what} is {money(spent, budget.currency)}, over the budget of "
                f"{money(limit, budget.currency)}{' (list prices include unverified rows)' if unverified else ''}"
            )
    return problems


def parse_overrides(value: Any, where: str) -> list[PriceRow]:
    """A stack's `crosscloud:prices` (a list of price rows), or PriceError naming the key path."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PriceError(f"{where}: must be a list of price rows")
    rows: list[PriceRow] = []
    for i, item in enumerate(value):
        try:
            rows.append(PriceRow.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(p) for p in first["loc"])
            raise PriceError(f"{where}[{i}]{'.' + path if path else ''}: {first['msg']}") from None
    check_rows(rows, where)
    return rows


def parse_budget(value: Any, where: str) -> Budget | None:
    if value is None:
        return None
    try:
        return Budget.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise PriceError(f"{where}{'.' + path if path else ''}: {first['msg']}") from None


def as_mapping(rows: Sequence[PriceRow]) -> list[Mapping[str, Any]]:
    return [row.model_dump(mode="json", exclude_none=True) for row in rows]
