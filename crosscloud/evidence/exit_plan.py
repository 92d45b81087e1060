"""`crosscloud exit-plan STACK`: what leaving one cloud takes, per logical endpoint, from the declaration, the catalog
and the stack's resource graph.

For each cloud the stack uses, and each endpoint served there: where it runs now (model, offering, processing class),
its counterpart on the other cloud under the stack's residency set (or "none: lock-in" with the nearest
alternatives), and the exact change to Pulumi.<stack>.yaml that moves it. Then the commitments that block or delay
the exit (with end dates and what the rest of their term costs), the data and assets that would have to move (from
the resources the program creates), and provenance (commit, declaration digest, catalog and price dates).

It is evidence from the infrastructure code, not a contract: notice periods, contract terms, application changes and
the test of the plan are for the people who own them (see the README, "Exit plan").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import yaml

from crosscloud.catalog import AwsOffering, AzureOffering, Catalog
from crosscloud.catalog.prices import money
from crosscloud.declaration import Declaration, ResolvedEndpoint
from crosscloud.declaration.spec import Endpoint
from crosscloud.engine.graph import Graph
from crosscloud.evidence.cost import UNVERIFIED, CostReport

Cloud = Literal["aws", "azure"]
OTHER: dict[Cloud, Cloud] = {"aws": "azure", "azure": "aws"}
NAME = {"aws": "AWS", "azure": "Azure"}
MAX_ALTERNATIVES = 3


def describe_aws(offer: AwsOffering) -> tuple[str, str]:
    """(offering, processing class) of a Bedrock offering."""
    if offer.kind == "in-region":
        return f"{offer.invoke_id} (in-region)", f"regional: {offer.region}"
    where = ", ".join(sorted(offer.destinations)) if offer.destinations else "any commercial Region"
    return f"{offer.invoke_id} ({offer.prefix}. profile)", f"geo profile from {offer.region}: {where}"


def describe_azure(offer: AzureOffering) -> tuple[str, str]:
    label = "serverless API" if offer.route == "serverless" else f"{offer.sku} deployment"
    scope = {"global": "global", "data_zone": "data zone", "regional": "regional"}[offer.processing]
    return f"{offer.name} {offer.version} ({label})", f"{scope}: {offer.region}"


@dataclass(frozen=True)
class Side:
    cloud: Cloud
    model: str
    offering: str
    processing: str
    verified: bool = True


@dataclass(frozen=True)
class Move:
    """One endpoint leaving one cloud."""

    endpoint: str
    leaving: Cloud
    now: Side
    target: Side | None  # None: lock-in
    already_served: bool  # the other cloud serves it today (the move is a primary switch)
    alternatives: list[str] = field(default_factory=list)
    same_model_elsewhere: list[str] = field(default_factory=list)  # regions of the other cloud where it is resident
    snippet: str = ""  # the endpoint's entry in Pulumi.<stack>.yaml after the move
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Asset:
    cloud: str
    resource: str
    type: str
    holds: str
    how: str


@dataclass(frozen=True)
class ExitPlan:
    stack: str
    residency: str
    moves: dict[Cloud, list[Move]]
    cost: CostReport
    assets: list[Asset]
    provenance: dict[str, Any]


# -- counterparts -----------------------------------------------------------------------------------------------------


def _region(declaration: Declaration, cloud: Cloud) -> str | None:
    spec = declaration.spec
    if cloud == "aws":
        return spec.aws.region if spec.aws else None
    return spec.azure.location if spec.azure else None


def _side(cloud: Cloud, offer: AwsOffering | AzureOffering) -> Side:
    if isinstance(offer, AwsOffering):
        offering, processing = describe_aws(offer)
    else:
        offering, processing = describe_azure(offer)
    return Side(cloud, offer.model, offering, processing, offer.verified)


def _served(resolved: ResolvedEndpoint, cloud: Cloud) -> Side | None:
    """How `cloud` serves the endpoint now: a managed offering, or the endpoint's self-hosted fleet."""
    offer = getattr(resolved, cloud)
    if offer is not None:
        return _side(cloud, offer)
    route = resolved.selfhosted(cloud)
    if route is None:
        return None
    where = f"{route.replicas} x {route.instance_type} on pool {route.pool} in {route.zone}"
    return Side(cloud, route.model, f"self-hosted vLLM, {where}", "in-region (self-hosted)", route.verified)


def _select(
    catalog: Catalog, cloud: Cloud, model: str, region: str, declaration: Declaration
) -> AwsOffering | AzureOffering | None:
    strict = declaration.spec.environment == "prod"
    if getattr(catalog.models[model], cloud) is None:
        return None
    if cloud == "aws":
        return catalog.select_aws(model, region, declaration.residency, verified_only=strict)
    return catalog.select_azure(model, region, declaration.residency, verified_only=strict)


def _alternatives(catalog: Catalog, cloud: Cloud, model: str, region: str, declaration: Declaration) -> list[str]:
    """Resident models of the same kind on `cloud` in `region`: the same provider first."""
    strict = declaration.spec.environment == "prod"
    source = catalog.models[model]
    found = [
        m
        for m in catalog.resident_models(cloud, region, declaration.residency, verified_only=strict)
        if catalog.models[m].kind == source.kind and m != model
    ]
    found.sort(key=lambda m: (catalog.models[m].provider != source.provider, m))
    return found[:MAX_ALTERNATIVES]


def _entry(endpoint: Endpoint, keep: Cloud, model_block: dict[str, Any]) -> dict[str, Any]:
    """The endpoint's YAML entry after the move: only `keep` serves it."""
    return {"name": endpoint.name, keep: model_block}


def _choice_block(endpoint: Endpoint, cloud: Cloud) -> dict[str, Any]:
    choice = getattr(endpoint, cloud)
    return choice.model_dump(mode="json", exclude_defaults=True) if choice is not None else {}


def _snippet(entry: dict[str, Any]) -> str:
    return yaml.safe_dump(
        {"crosscloud:endpoints": [entry]}, sort_keys=False, default_flow_style=None, width=1000
    ).rstrip()


def _move(endpoint: Endpoint, leaving: Cloud, declaration: Declaration, catalog: Catalog) -> Move | None:
    resolved = next(e for e in declaration.endpoints if e.name == endpoint.name)
    now = _served(resolved, leaving)
    if now is None:
        return None
    current = getattr(resolved, leaving)
    other = OTHER[leaving]
    notes: list[str] = []
    hosted = resolved.selfhosted(leaving)
    if hosted is not None:
        notes.append(
            f"the fleet on GPU pool {hosted.pool} goes, but its reservation bills until it ends or is released; the "
            "weights and image in this cloud's stores are copies of pinned public artifacts"
        )
    if leaving == "azure" and isinstance(current, AzureOffering) and current.provisioned:
        notes.append("provisioned (PTU) capacity does not move: the target serves pay-per-token unless it is set again")
    if leaving == "aws" and endpoint.aws is not None and endpoint.aws.provisioned is not None:
        notes.append("provisioned throughput does not move: the target serves pay-per-token unless it is set again")
    there = _served(resolved, other)
    if there is not None:  # already served on the other cloud: the exit is a primary switch
        block = _choice_block(endpoint, other)
        if catalog.models[now.model].kind == "embedding" and there.model != now.model:
            notes.append("another embedding model means another vector space: every stored vector must be re-computed")
        return Move(
            endpoint.name,
            leaving,
            now,
            there,
            True,
            snippet=_snippet(_entry(endpoint, other, block)),
            notes=notes,
        )
    region = _region(declaration, other)
    target = _select(catalog, other, now.model, region, declaration) if region else None
    elsewhere = (
        catalog.resident_regions(
            now.model, other, declaration.residency, verified_only=declaration.spec.environment == "prod"
        )
        if getattr(catalog.models[now.model], other) is not None
        else []
    )
    if region is None:
        notes.append(f"the stack declares no {NAME[other]} settings: add crosscloud:{other} first")
        return Move(endpoint.name, leaving, now, None, False, same_model_elsewhere=elsewhere, notes=notes)
    if target is not None:
        entry: dict[str, Any] = {"model": now.model}
        if isinstance(target, AzureOffering) and target.route == "serverless":
            entry["route"] = "serverless"
        if catalog.models[now.model].kind == "embedding":
            notes.append("the same embedding model on both clouds: check on a sample that stored vectors still match")
        return Move(
            endpoint.name,
            leaving,
            now,
            _side(other, target),
            False,
            snippet=_snippet(_entry(endpoint, other, entry)),
            notes=notes,
        )
    alternatives = _alternatives(catalog, other, now.model, region, declaration)
    if catalog.models[now.model].kind == "embedding" and alternatives:
        notes.append("another embedding model means another vector space: every stored vector must be re-computed")
    snippet = _snippet(_entry(endpoint, other, {"model": alternatives[0]})) if alternatives else ""
    return Move(
        endpoint.name,
        leaving,
        now,
        None,
        False,
        alternatives=alternatives,
        same_model_elsewhere=[r for r in elsewhere if r != region],
        snippet=snippet,
        notes=notes,
    )


# -- assets -----------------------------------------------------------------------------------------------------------

ASSETS: dict[str, tuple[str, str]] = {
    "aws:s3/bucket:Bucket": (
        "objects (Bedrock invocation logs: prompts and completions)",
        "copy the objects to the target's storage before the lifecycle rule expires them",
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        "log events (invocation or VPC flow logs)",
        "export them (CloudWatch Logs export task to S3) within their retention",
    ),
    "aws:kms/key:Key": (
        "key material, which KMS does not export",
        "decrypt and re-encrypt what it protects under a key on the target; keep it until the data is moved",
    ),
    "aws:bedrock/guardrail:Guardrail": (
        "guardrail: content filters, PII filter, denied topics",
        "content filters map to the Azure RAI policy; denied topics and PII anonymisation have no counterpart "
        "crosscloud creates on Azure (re-implement them in the application or a gateway)",
    ),
    "aws:bedrock/inferenceProfile:InferenceProfile": (
        "application inference profile (the invoke target and its cost tags)",
        "no counterpart: Azure allocates cost by deployment and tags; applications switch to the Azure URL",
    ),
    "azure-native:cognitiveservices:RaiPolicy": (
        "RAI policy: content-filter severities",
        "content filters map to the Bedrock guardrail's (crosscloud:aws.guardrail); anything else the policy "
        "filters has no counterpart crosscloud creates on AWS",
    ),
    "azure-native:cognitiveservices:Project": (
        "Foundry project: agents, threads, files and evaluations stored in it",
        "export them through the Foundry APIs; crosscloud creates no counterpart on AWS",
    ),
    "azure-native:operationalinsights:Workspace": (
        "diagnostic logs of the AI resources",
        "export them (a data export rule or a query) within their retention",
    ),
    "azure-native:storage:StorageAccount": ("blobs of the serverless hub", "copy them (azcopy) before deletion"),
    "azure-native:keyvault:Vault": (
        "keys and secrets of the serverless hub",
        "keys created non-exportable stay in the vault: re-encrypt what they protect",
    ),
    "azure-native:machinelearningservices:MarketplaceSubscription": (
        "Azure Marketplace subscription of a serverless model",
        "cancel it when the endpoint is removed",
    ),
}


def assets(graph: Graph) -> list[Asset]:
    found = [Asset(r.cloud, r.name, r.type, *ASSETS[r.type]) for r in graph.resources if r.custom and r.type in ASSETS]
    return sorted(found, key=lambda a: (a.cloud, a.type, a.resource))


# -- provenance -------------------------------------------------------------------------------------------------------


def git_commit(directory: Path) -> str:
    """The commit the project folder is at (with '+changes' when the work tree differs), or 'unknown'."""
    try:
        head = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, as a user runs it
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git work tree)"
    return f"{head}{'+changes' if dirty else ''}"


def provenance(
    catalog: Catalog, cost: CostReport, stack_file: Path, project_dir: Path, today: dt.date
) -> dict[str, Any]:
    dates = {
        "models": max(s.date for s in catalog.models_file.sources.values()).isoformat(),
        "regions": max(s.date for s in catalog.regions.sources).isoformat(),
        "azure_skus": max(s.date for s in catalog.azure_skus.sources).isoformat(),
        "gpus": max(s.date for s in catalog.gpus.sources.values()).isoformat(),
    }
    prices = sorted(
        {
            (p.row.kind, p.row.sku, p.row.region, p.row.date.isoformat(), p.row.verified, p.row.source)
            for p in cost.priced
            if p.row is not None
        }
    )
    try:
        digest = hashlib.sha256(stack_file.read_bytes()).hexdigest()
    except OSError:
        digest = "unknown"
    try:
        version = metadata.version("crosscloud")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "generated": today.isoformat(),
        "crosscloud": version,
        "commit": git_commit(project_dir),
        "declaration": {"file": stack_file.name, "sha256": digest},
        "catalog_dates": dates,
        "price_overlay": cost.table.overlay,
        "prices": [
            {"kind": k, "sku": s, "region": r, "date": d, "verified": v, "source": src} for k, s, r, d, v, src in prices
        ],
    }


def exit_plan(
    stack: str,
    declaration: Declaration,
    catalog: Catalog,
    graph: Graph,
    cost: CostReport,
    stack_file: Path,
    project_dir: Path,
    today: dt.date,
) -> ExitPlan:
    moves: dict[Cloud, list[Move]] = {}
    for cloud in ("aws", "azure"):
        found = [m for e in declaration.spec.endpoints if (m := _move(e, cloud, declaration, catalog)) is not None]
        if found:
            moves[cloud] = found
    return ExitPlan(
        stack,
        declaration.residency.name,
        moves,
        cost,
        assets(graph),
        provenance(catalog, cost, stack_file, project_dir, today),
    )


# -- rendering --------------------------------------------------------------------------------------------------------


def _target_text(move: Move) -> str:
    if move.target is not None:
        how = "already serves it" if move.already_served else "same model"
        flag = "" if move.target.verified else f" {UNVERIFIED}"
        return f"{move.target.model}: {move.target.offering}{flag} [{how}]"
    alternatives = ", ".join(move.alternatives) or "no resident model of this kind"
    text = f"none: lock-in (nearest: {alternatives})"
    if move.same_model_elsewhere:
        text += f"; the same model is resident on {NAME[OTHER[move.leaving]]} in {', '.join(move.same_model_elsewhere)}"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _commitment_lines(plan: ExitPlan) -> list[str]:
    cost = plan.cost
    if not cost.priced:
        return ["No commitments: nothing blocks or delays an exit."]
    lines = [
        "| cloud | component | commitment | ends | effect on an exit | rest of term |",
        "|---|---|---|---|---|---:|",
    ]
    for p in cost.priced:
        c = p.commitment
        if c.term in ("OneMonth", "SixMonths"):
            ends, effect = f"{c.term} from purchase", "blocks: non-cancellable for the term"
        elif not c.cancellable:
            ends, effect = str(c.ends), "blocks: prepaid and non-cancellable until it ends"
        else:
            ends = str(c.ends) if c.ends else "until deleted"
            effect = "delays: billed until deleted (delete it at cut-over)"
        rest = "open-ended" if p.term_total is None else money(p.term_total, cost.currency)
        if p.row is None:
            rest = "no price"
        elif not p.row.verified and p.term_total is not None:
            rest += f" {UNVERIFIED}"
        lines.append(
            f"| {c.cloud} | {_cell(c.component)} | {_cell(f'{c.what}: {c.quantity} x {c.sku} in {c.region}')} | "
            f"{ends} | {effect} | {rest} |"
        )
    lines += [
        "",
        "Reservations bought outside the stack (Azure reservations for PTUs or VMs, Savings Plans) are not "
        "visible here.",
    ]
    return lines


def render_markdown(plan: ExitPlan) -> str:
    out = [f"# Exit plan: stack `{plan.stack}` (residency `{plan.residency}`)", ""]
    for cloud, moves in plan.moves.items():
        other = OTHER[cloud]
        out += [
            f"## Leaving {NAME[cloud]}",
            "",
            f"| endpoint | runs now on {NAME[cloud]} | processing | counterpart on {NAME[other]} | processing |",
            "|---|---|---|---|---|",
        ]
        for m in moves:
            now = f"{m.now.model}: {m.now.offering}{'' if m.now.verified else ' ' + UNVERIFIED}"
            there = m.target.processing if m.target else "-"
            out.append(
                f"| `{m.endpoint}` | {_cell(now)} | {_cell(m.now.processing)} | "
                f"{_cell(_target_text(m))} | {_cell(there)} |"
            )
        out.append("")
        for m in moves:
            out.append(f"### `{m.endpoint}` off {NAME[cloud]}")
            out.append("")
            if m.snippet:
                verb = "Replace its entry in" if m.target else "No counterpart; the nearest alternative would read, in"
                out += [f"{verb} `Pulumi.{plan.stack}.yaml`:", "", "```yaml", m.snippet, "```", ""]
            else:
                out += ["No config change can move it: there is no resident counterpart.", ""]
            out += [f"- {note}" for note in m.notes]
            if m.notes:
                out.append("")
    out += ["## Commitments that block or delay an exit", "", *_commitment_lines(plan), ""]
    out += ["## Data and assets to move", ""]
    if plan.assets:
        out += ["| cloud | resource | holds | how it moves |", "|---|---|---|---|"]
        out += [f"| {a.cloud} | `{a.resource}` | {_cell(a.holds)} | {_cell(a.how)} |" for a in plan.assets]
    else:
        out.append("None found in the stack's resources.")
    p = plan.provenance
    out += [
        "",
        "## Provenance",
        "",
        f"- generated {p['generated']} by crosscloud {p['crosscloud']} at commit `{p['commit']}`",
        f"- declaration `{p['declaration']['file']}` sha256 `{p['declaration']['sha256']}`",
        "- catalog tables dated " + ", ".join(f"{k} {v}" for k, v in p["catalog_dates"].items()),
    ]
    if p["price_overlay"]:
        out.append(f"- price overlay `{p['price_overlay']}`")
    for row in p["prices"]:
        flag = "" if row["verified"] else f" {UNVERIFIED}"
        out.append(f"- price {row['kind']} {row['sku']} {row['region']}: {row['date']}{flag}, {row['source']}")
    return "\n".join(out) + "\n"


def to_json(plan: ExitPlan) -> dict[str, Any]:
    def side(s: Side | None) -> dict[str, Any] | None:
        if s is None:
            return None
        return {
            "cloud": s.cloud,
            "model": s.model,
            "offering": s.offering,
            "processing": s.processing,
            "verified": s.verified,
        }

    from crosscloud.evidence.cost import to_json as cost_json

    return {
        "stack": plan.stack,
        "residency": plan.residency,
        "leaving": {
            cloud: [
                {
                    "endpoint": m.endpoint,
                    "now": side(m.now),
                    "counterpart": side(m.target),
                    "lockIn": m.target is None,
                    "alreadyServed": m.already_served,
                    "alternatives": m.alternatives,
                    "sameModelElsewhere": m.same_model_elsewhere,
                    "configChange": m.snippet or None,
                    "notes": m.notes,
                }
                for m in moves
            ]
            for cloud, moves in plan.moves.items()
        },
        "commitments": cost_json(plan.cost)["commitments"],
        "assets": [
            {"cloud": a.cloud, "resource": a.resource, "type": a.type, "holds": a.holds, "how": a.how}
            for a in plan.assets
        ],
        "provenance": plan.provenance,
    }


def render_json(plan: ExitPlan) -> str:
    return json.dumps(to_json(plan), indent=2) + "\n"


RENDERERS = {"markdown": render_markdown, "json": render_json}
