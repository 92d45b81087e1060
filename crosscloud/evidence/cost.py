"""`crosscloud cost STACK`: the monthly committed cost per cloud and component, from the catalog's price table.

Every amount names the price row it comes from; a row no primary source confirms is marked `(unverified)` in text
and Markdown and `"verified": false` in JSON, and so is every total it is part of.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from crosscloud.catalog import Catalog
from crosscloud.catalog.prices import Budget, Priced, PriceTable, money, monthly_totals, over_budget, price_all
from crosscloud.declaration import Declaration
from crosscloud.evidence.commitments import commitments, stack_prices

UNVERIFIED = "(unverified)"


@dataclass(frozen=True)
class CostReport:
    stack: str
    currency: str
    today: dt.date
    priced: list[Priced]
    table: PriceTable
    budget: Budget | None

    @property
    def totals(self) -> dict[str, float]:
        return monthly_totals(self.priced)

    def verified(self, scope: str) -> bool:
        """Whether every amount in `scope` (aws, azure, total) rests on verified prices."""
        return all(p.verified for p in self.priced if scope in ("total", p.commitment.cloud))

    @property
    def unpriced(self) -> list[Priced]:
        return [p for p in self.priced if p.row is None]

    @property
    def over_budget(self) -> list[str]:
        return over_budget(self.priced, self.budget, self.table) if self.budget else []


def cost_report(stack: str, declaration: Declaration, catalog: Catalog, today: dt.date) -> CostReport:
    table = stack_prices(declaration, catalog)
    priced = price_all(commitments(declaration, catalog), table, today)
    priced.sort(key=lambda p: (p.commitment.cloud, p.commitment.component))
    return CostReport(stack, table.currency, today, priced, table, declaration.spec.budget)


def _amount(value: float | None, currency: str, verified: bool) -> str:
    if value is None:
        return "-"
    return money(value, currency) + ("" if verified else f" {UNVERIFIED}")


def _rate(p: Priced) -> str:
    if p.row is None:
        return f"no price for {p.commitment.kind} {p.commitment.sku} in {p.commitment.region}"
    unit = p.row.unit.replace("-", " ")
    return f"{p.row.price:,.4g} {p.row.currency}/{unit}{'' if p.row.verified else ' ' + UNVERIFIED}"


def _window(p: Priced) -> str:
    c = p.commitment
    if c.term and c.term != "hourly":
        return f"{c.term} term from purchase"
    if c.ends is None:
        return "until deleted"
    return f"{(c.starts or '')}{' to ' if c.starts else 'until '}{c.ends}"


def _rows(report: CostReport) -> list[list[str]]:
    rows = []
    for p in report.priced:
        c = p.commitment
        verified = p.verified
        rows.append(
            [
                c.cloud,
                c.component,
                f"{c.what}: {c.quantity} x {c.sku}",
                c.region,
                _window(p),
                _rate(p),
                _amount(p.monthly, report.currency, verified),
                _amount(p.term_total, report.currency, verified) if p.term_total is not None else "open-ended",
            ]
        )
    return rows


HEADERS = ["cloud", "component", "commitment", "region", "window", "list price", "monthly", "rest of term"]


def _total_lines(report: CostReport) -> list[tuple[str, str]]:
    lines = []
    for scope in ("aws", "azure", "total"):
        label = "total" if scope == "total" else scope
        lines.append((label, _amount(report.totals[scope], report.currency, report.verified(scope))))
    return lines


def _budget_lines(report: CostReport) -> list[str]:
    if report.budget is None:
        return ["No budget set (crosscloud:budget)."]
    limits = ", ".join(f"{scope} {money(v, report.budget.currency)}" for scope, v in report.budget.monthly.items())
    over = report.over_budget
    if not over:
        return [f"Within the monthly budget ({limits})."]
    return [f"Over the monthly budget ({limits}):", *(f"- {line}" for line in over)]


def _provenance(report: CostReport) -> list[str]:
    used = sorted({(p.row.kind, p.row.sku, p.row.region, p.row.date, p.row.source) for p in report.priced if p.row})
    lines = [f"Prices as of {report.today}; a month is {report.table.hours_per_month} hours."]
    if report.table.overlay:
        lines.append(f"Price overlay merged: {report.table.overlay}")
    lines += [f"- {kind} {sku} {region}: {date}, {source}" for kind, sku, region, date, source in used]
    return lines


def render_text(report: CostReport) -> str:
    rows = [HEADERS, *_rows(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    out = [f"Committed cost of stack {report.stack} ({report.currency}, the month ahead)", ""]
    if not report.priced:
        out.append("No commitments: no GPU reservation, Capacity Block, provisioned throughput or PTU deployment.")
    else:
        out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    out += ["", *(f"{label:>6}: {value}" for label, value in _total_lines(report)), ""]
    out += [*_budget_lines(report), "", *_provenance(report)]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: CostReport) -> str:
    out = [f"## Committed cost of `{report.stack}` ({report.currency}, the month ahead)", ""]
    if report.priced:
        out += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * 6 + "---:|---:|"]
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in _rows(report)]
    else:
        out.append("No commitments.")
    out += ["", *(f"- **{label}**: {value}" for label, value in _total_lines(report)), ""]
    out += [*_budget_lines(report), "", *_provenance(report)]
    return "\n".join(out) + "\n"


def to_json(report: CostReport) -> dict[str, Any]:
    return {
        "stack": report.stack,
        "currency": report.currency,
        "asOf": report.today.isoformat(),
        "hoursPerMonth": report.table.hours_per_month,
        "commitments": [
            {
                "cloud": p.commitment.cloud,
                "component": p.commitment.component,
                "what": p.commitment.what,
                "kind": p.commitment.kind,
                "sku": p.commitment.sku,
                "region": p.commitment.region,
                "quantity": p.commitment.quantity,
                "starts": p.commitment.starts.isoformat() if p.commitment.starts else None,
                "ends": p.commitment.ends.isoformat() if p.commitment.ends else None,
                "term": p.commitment.term,
                "cancellable": p.commitment.cancellable,
                "price": p.row.model_dump(mode="json", exclude_none=True) if p.row else None,
                "monthly": None if p.monthly is None else round(p.monthly, 2),
                "restOfTerm": None if p.term_total is None else round(p.term_total, 2),
                "verified": p.verified,
            }
            for p in report.priced
        ],
        "monthly": {
            scope: {"amount": round(amount, 2), "verified": report.verified(scope)}
            for scope, amount in report.totals.items()
        },
        "budget": report.budget.model_dump(mode="json", exclude_none=True) if report.budget else None,
        "overBudget": report.over_budget,
        "priceOverlay": report.table.overlay,
    }


def render_json(report: CostReport) -> str:
    return json.dumps(to_json(report), indent=2) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
