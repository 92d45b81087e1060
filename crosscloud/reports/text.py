"""Terminal rendering: the resource tree grouped by component, counts per type and cloud, then violations."""

from __future__ import annotations

import json
from collections import Counter

from crosscloud.engine.graph import UNKNOWN, Graph, Resource
from crosscloud.engine.violations import CheckResult, Remediation, redact


def _label(resource: Resource) -> str:
    flags = [f for f, on in (("protected", resource.protect), ("retained", resource.retain_on_delete)) if on]
    suffix = f"  [{', '.join(flags)}]" if flags else ""
    return f"{resource.type}  {resource.name}{suffix}"


def render_tree(graph: Graph) -> str:
    children: dict[str | None, list[Resource]] = {}
    for r in graph.resources:
        children.setdefault(r.parent, []).append(r)
    lines: list[str] = []

    def walk(parent: str | None, prefix: str) -> None:
        kids = children.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{_label(r)}")
            walk(r.urn, prefix + ("   " if last else "│  "))

    roots = children.get(None, [])
    for root in roots:
        lines.append(_label(root))
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


def render_outputs(graph: Graph) -> str:
    lines = ["Outputs:"]
    for key, value in graph.outputs.items():
        shown = "(known after apply)" if value in (None, UNKNOWN) else redact(value)
        lines.append(f"  {key}: {shown}")
    return "\n".join(lines)


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


def render_violations(result: CheckResult) -> str:
    lines = []
    packs = ", ".join(f"{p.name}@{p.version} ({len(p.policies)} policies)" for p in result.packs) or "none"
    lines.append(f"Policy packs: {packs}")
    for remediation in result.remediations:
        lines.extend(render_remediation(remediation))
    lines.extend(f"  note: {note}" for note in result.notes)
    violations = result.sorted_violations()
    if not violations:
        lines.append(f"No policy violations in {result.resources} resources.")
        return "\n".join(lines) + "\n"
    for v in violations:
        where = v.urn.split("::")[-1] if v.urn else "(stack)"
        if v.urn and v.urn.split("::")[2:3] == ["pulumi:pulumi:Stack"]:
            where = f"(stack {where})"
        severity = f"/{v.severity}" if v.severity else ""
        lines.append(f"  [{v.enforcement_level}{severity}] {v.policy_pack}/{v.policy}: {where}: {v.message}")
    summary = result.summary()
    lines.append(
        f"{summary['violations']} violations: {summary['mandatory']} mandatory, {summary['advisory']} advisory."
    )
    return "\n".join(lines) + "\n"
