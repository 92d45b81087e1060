"""Terminal rendering: the resource tree grouped by component (with each resource's Region and SKU), counts per type
and cloud, the stack outputs (the endpoint contract as a table), then the findings, grouped.

Colour is for a terminal only: the caller passes `color=True` when stdout is a TTY and NO_COLOR is unset.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from typing import Any

from crosscloud.engine.graph import UNKNOWN, Graph, Resource
from crosscloud.engine.redaction import Redactor
from crosscloud.engine.violations import CheckResult, Remediation, redact
from crosscloud.reports.findings import Finding, group, where

WIDTH = 120
_COLORS = {"mandatory": "31", "remediate": "31", "advisory": "33", "ok": "32", "dim": "2"}


def paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color else text


def _known(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != UNKNOWN else None


def placement(resource: Resource, by_urn: dict[str, Resource], config: dict[str, str]) -> str:
    """Where a resource runs and what it is sold as, for the tree: "in eu-north-1", "in swedencentral, sku
    Standard". Only what the graph states (the resource's input, else its provider's, else the stack's aws:region);
    nothing when unknown."""
    inputs = resource.inputs
    provider = by_urn.get(resource.provider or "")
    provider_inputs = provider.inputs if provider is not None else {}
    parts = []
    if resource.cloud == "aws":
        region = _known(inputs.get("region")) or _known(provider_inputs.get("region"))
        if region is None and resource.custom and provider is not None and provider.name.startswith("default"):
            region = _known(config.get("aws:region"))
        if region:
            parts.append(f"in {region}")
    elif resource.cloud == "azure":
        location = _known(inputs.get("location")) or _known(provider_inputs.get("location"))
        if location:
            parts.append(f"in {location}")
        sku = inputs.get("sku")
        name = _known(sku.get("name")) if isinstance(sku, dict) else _known(sku)
        if name:
            parts.append(f"sku {name}")
    return ", ".join(parts)


def _label(resource: Resource, by_urn: dict[str, Resource], config: dict[str, str]) -> str:
    flags = [f for f, on in (("protected", resource.protect), ("retained", resource.retain_on_delete)) if on]
    where_ = placement(resource, by_urn, config)
    return (
        f"{resource.type}  {resource.name}"
        + (f"  ({where_})" if where_ else "")
        + (f"  [{', '.join(flags)}]" if flags else "")
    )


def render_tree(graph: Graph) -> str:
    by_urn = graph.by_urn()
    children: dict[str | None, list[Resource]] = {}
    for r in graph.resources:
        children.setdefault(r.parent, []).append(r)
    lines: list[str] = []

    def walk(parent: str | None, prefix: str) -> None:
        kids = children.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{_label(r, by_urn, graph.config)}")
            walk(r.urn, prefix + ("   " if last else "│  "))

    for root in children.get(None, []):
        lines.append(_label(root, by_urn, graph.config))
        walk(root.urn, "")
    return "\n".join(lines)


def render_counts(graph: Graph) -> str:
    per_cloud = Counter(r.cloud for r in graph.resources if r.custom)
    per_type = Counter((r.cloud, r.type) for r in graph.resources if r.custom)
    lines = [
        f"Resources: {len(graph.resources)} registered ({sum(per_cloud.values())} custom, "
        f"{len(graph.resources) - sum(per_cloud.values())} components and stack)"
    ]
    for cloud, count in sorted(per_cloud.items()):
        lines.append(f"  {cloud}: {count}")
        for (c, token), n in sorted(per_type.items()):
            if c == cloud:
                lines.append(f"    {n:>3}  {token}")
    return "\n".join(lines)


ENDPOINT_COLUMNS = ("ENDPOINT", "CLOUD", "MODEL", "ROUTE", "SKU/PROFILE", "REGION", "PROCESSING")


def endpoint_rows(endpoints: Any) -> list[tuple[str, ...]] | None:
    """The `endpoints` output (what each logical endpoint resolved to on each cloud) as table rows, or None when it
    is not in the shape the stack program exports."""
    if not isinstance(endpoints, dict):
        return None
    rows: list[tuple[str, ...]] = []
    for name, entry in endpoints.items():
        if not isinstance(entry, dict):
            return None
        primary = entry.get("primary")
        for cloud in ("aws", "azure"):
            side = entry.get(cloud)
            if side is None:
                continue
            if not isinstance(side, dict):
                return None
            label = f"{name} *" if primary == cloud else str(name)
            if side.get("route") == "selfhosted":  # vLLM on the stack's GPU reservation (issue 27)
                rows.append(
                    (
                        label,
                        cloud,
                        str(side.get("model", "?")),
                        "selfhosted",
                        str(side.get("instance_type", "-")),
                        str(side.get("region") or side.get("location") or "?"),
                        "regional",
                    )
                )
            elif cloud == "aws":
                invoke_id = str(side.get("invoke_id", "?"))
                profile = side.get("offering") == "profile"
                prefix = invoke_id.split(".", 1)[0] + "." if profile else "-"
                route = f"{prefix} profile" if profile else str(side.get("offering", "?"))
                rows.append(
                    (
                        label,
                        cloud,
                        invoke_id,
                        route,
                        prefix,
                        str(side.get("region", "?")),
                        "geo" if profile else "regional",
                    )
                )
            else:
                model = " ".join(str(side[k]) for k in ("model", "version") if side.get(k))
                rows.append(
                    (
                        label,
                        cloud,
                        model or "?",
                        str(side.get("route", "?")),
                        str(side.get("sku", "-")),
                        str(side.get("location", "?")),
                        str(side.get("processing", "?")),
                    )
                )
    return rows


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], indent: str = "") -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    ]


def _output_value(value: Any) -> str:
    if value in (None, UNKNOWN):
        return "(known after apply)"
    value = redact(value)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def render_outputs(graph: Graph, redactor: Redactor | None = None) -> str:
    redactor = redactor if redactor is not None else Redactor.for_graph(graph)
    lines = ["Outputs:"]
    endpoints_table: list[str] = []
    for key, value in graph.outputs.items():
        rows = endpoint_rows(redact(value)) if key == "endpoints" else None
        if rows:
            lines.append(f"  {key}: {len(rows)} offerings, see the table below (* = the endpoint's primary cloud)")
            endpoints_table = ["", "Endpoints:", *table(ENDPOINT_COLUMNS, rows, "  ")]
            continue
        lines.append(f"  {key}: {_output_value(value)}")
    return redactor.text("\n".join(lines + endpoints_table))


def _shown(value: object) -> str:
    return "(unknown)" if value == UNKNOWN else json.dumps(redact(value), sort_keys=True)


def render_remediation(r: Remediation) -> list[str]:
    """One line per remediation and one per changed property, as `pulumi preview` shows a remediation's diff."""
    lines = [f"  [remediated] {r.policy_pack}/{r.policy}: {r.urn.split('::')[-1]}: {r.description}"]
    for key in r.changed:
        before = _shown(r.before[key]) if key in r.before else "(absent)"
        after = _shown(r.after[key]) if key in r.after else "(removed)"
        lines.append(f"      {key}: {before} => {after}")
    return lines


def render_finding(finding: Finding, color: bool = False) -> list[str]:
    """One line for a finding on one resource; for several, the message once and the resources under it."""
    severity = f"/{finding.severity}" if finding.severity else ""
    tag = paint(f"[{finding.enforcement_level}{severity}]", finding.enforcement_level, color)
    rule = f"{finding.policy_pack}/{finding.policy}"
    if len(finding.violations) == 1:
        v = finding.violations[0]
        return [f"  {tag} {rule}: {where(v.urn)}: {finding.text_for(v)}"]
    names = ", ".join(where(urn) for urn in finding.urns)
    wrapped = textwrap.wrap(
        f"on {len(finding.violations)} resources: {names}",
        width=WIDTH,
        initial_indent="      ",
        subsequent_indent="        ",
        break_on_hyphens=False,
    )
    return [f"  {tag} {rule}: {finding.message}", *wrapped]


def render_violations(result: CheckResult, color: bool = False) -> str:
    result = result.redacted()
    lines = []
    packs = ", ".join(f"{p.name}@{p.version} ({len(p.policies)} policies)" for p in result.packs) or "none"
    lines.append(f"Policy packs: {packs}")
    for remediation in result.remediations:
        lines.extend(render_remediation(remediation))
    lines.extend(f"  note: {note}" for note in result.notes)
    violations = result.sorted_violations()
    if not violations:
        lines.append(paint(f"No policy violations in {result.resources} resources.", "ok", color))
        return "\n".join(lines) + "\n"
    findings = group(violations)
    for finding in findings:
        lines.extend(render_finding(finding, color))
    summary = result.summary()
    lines.append(
        f"{summary['violations']} violations: {summary['mandatory']} mandatory, {summary['advisory']} advisory"
        + (f" ({len(findings)} findings)." if len(findings) != len(violations) else ".")
    )
    return "\n".join(lines) + "\n"
