"""`crosscloud graph STACK`: the component tree as a Mermaid flowchart: each cloud with its components (and how many
resources each holds; a resource registered outside any component appears on its own, with its Region or location),
and each logical endpoint with an edge to the component that serves it on each cloud,
labelled with where its prompts are processed (solid: the primary cloud).

Built from a resource graph (`crosscloud synth`, or the graph a policy check analysed), so the PR comment can carry
the same picture. Every label comes from resource names and outputs, which a pull request controls: labels keep only
letters, digits and ` _.:/,()+-`, so nothing in them can end the Mermaid block, add a link or a click handler.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from crosscloud.engine.graph import STACK_TYPE, Graph, Resource

MAX_NODES = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.:/,()+-]")
CLOUD_TITLE = {"aws": "AWS", "azure": "Azure"}
# Which component serves an endpoint on each cloud (type tokens of the crosscloud components).
SERVING = {
    ("aws", None): "crosscloud:aws:BedrockAccess",
    ("azure", "deployment"): "crosscloud:azure:Foundry",
    ("azure", "serverless"): "crosscloud:azure:Serverless",
}


def label(text: Any, limit: int = 80) -> str:
    return _UNSAFE.sub("_", " ".join(str(text).split()))[:limit]


def _cloud_of(resource: Resource) -> str:
    """aws or azure for crosscloud components (crosscloud:<cloud>:<Kind>) and provider resources, else the package."""
    parts = resource.type.split(":")
    if len(parts) == 3 and parts[0] == "crosscloud":
        return parts[1]
    return resource.cloud


def _processing(cloud: str, info: dict[str, Any]) -> str:
    if cloud == "aws":
        kind = "in-region" if info.get("offering") == "in-region" else "profile"
        return f"{kind} {info.get('region', '?')}"
    return f"{info.get('processing', '?')} {info.get('location', '?')}"


def _where(resource: Resource, by_urn: dict[str, Resource]) -> str:
    """`in <location>` from the resource's own inputs, else `provider <region>` (where it is managed from, which
    is not always where it runs: a deployment runs where its account is), else nothing."""
    provider = by_urn[resource.provider].inputs if resource.provider in by_urn else {}
    for source, prefix in ((resource.inputs, "in"), (provider, "provider")):
        for key in ("location", "region"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return f"{prefix} {value}"
    return ""


def mermaid(graph: Graph) -> str:
    """Components (and resources registered outside any component) per cloud, then the endpoints."""
    by_urn = graph.by_urn()
    # crosscloud's declaration components (crosscloud:index:*, CrossCloudPlatform) only hold the per-cloud ones: the
    # picture looks through them.
    wrappers = {r.urn for r in graph.resources if not r.custom and r.type.startswith("crosscloud:index:")}

    def outside_components(r: Resource) -> bool:
        return r.parent is None or r.parent in wrappers or by_urn.get(r.parent, r).type == STACK_TYPE

    nodes = [
        r
        for r in graph.resources
        if r.type != STACK_TYPE
        and not r.type.startswith("pulumi:providers:")
        and r.urn not in wrappers
        and (not r.custom or outside_components(r))
    ]
    component_urns = {r.urn for r in nodes if not r.custom}
    held: Counter[str] = Counter()
    for r in graph.resources:
        if not r.custom or r.type.startswith("pulumi:providers:"):
            continue
        parent = r.parent
        while parent is not None and parent not in component_urns:
            parent = by_urn[parent].parent if parent in by_urn else None
        if parent is not None:
            held[parent] += 1
    ids = {r.urn: f"c{i}" for i, r in enumerate(nodes)}
    lines = ["flowchart LR"]
    shown = 0
    for cloud in sorted({_cloud_of(r) for r in nodes}):
        lines.append(f'  subgraph {label(cloud)}["{label(CLOUD_TITLE.get(cloud, cloud))}"]')
        for r in (r for r in nodes if _cloud_of(r) == cloud):
            if shown >= MAX_NODES:
                continue
            shown += 1
            kind = r.type.rsplit(":", 1)[-1]
            if r.custom:
                where = _where(r, by_urn)
                lines.append(
                    f'    {ids[r.urn]}["{label(r.name)}: {label(kind)}{", " + label(where) if where else ""}"]'
                )
            else:
                lines.append(f'    {ids[r.urn]}["{label(r.name)}: {label(kind)} ({held[r.urn]} resources)"]')
        lines.append("  end")
    if shown < len(nodes):
        lines.append(f'  more["... and {len(nodes) - shown} more"]')
    serving = {r.type: ids[r.urn] for r in reversed(nodes) if r.type in SERVING.values()}
    for i, (name, entry) in enumerate(sorted(_endpoints(graph).items())):
        node = f"e{i}"
        lines.append(f'  {node}(["{label(name)}"])')
        for cloud in ("aws", "azure"):
            info = entry.get(cloud)
            if not isinstance(info, dict):
                continue
            route = None if cloud == "aws" else info.get("route", "deployment")
            target = serving.get(SERVING.get((cloud, route), ""))
            if target is None:
                continue
            arrow = "-->" if entry.get("primary") == cloud else "-.->"
            lines.append(f'  {node} {arrow}|"{label(_processing(cloud, info))}"| {target}')
    return "\n".join(lines) + "\n"


def _endpoints(graph: Graph) -> dict[str, dict[str, Any]]:
    value = graph.outputs.get("endpoints")
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, dict)}


def render_markdown(graph: Graph) -> str:
    return f"```mermaid\n{mermaid(graph)}```\n"
