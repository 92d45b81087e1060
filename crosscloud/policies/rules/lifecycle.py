"""Model lifecycle: no resource may use a retired model, and one retiring soon is flagged with its replacement.

The catalog's lifecycle rows (per cloud, model version and SKU, the stage in force derived from the vendor's dates)
are read for every model a resource names: Foundry deployments (`properties.model.name` + `version`, `sku.name`),
serverless API endpoints (`properties.modelSettings.modelId`) and Bedrock references anywhere in an AWS resource's
inputs (profiles, IAM documents, provisioned throughput, environment variables). Two rules, because CrossGuard sets one
enforcement level per policy, not per finding: `model-lifecycle` (mandatory: a retired model's deployments and calls
fail) and `model-lifecycle-window` (advisory: the retirement is inside the window, default 90 days or
`crosscloud:lifecycle.warn_days`, overridable with the policy config `warn_days`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from crosscloud.catalog import Catalog
from crosscloud.catalog.schema import Lifecycle
from crosscloud.policies.rules.base import ResourceView, Rule, RuleContext, get
from crosscloud.policies.rules.bedrock import OPAQUE_KINDS, find_refs, model_key
from crosscloud.policies.rules.residency import DEPLOYMENT, SERVERLESS_ENDPOINT

DEFAULT_WARN_DAYS = 90
_CLOUD = {"aws": "Amazon Bedrock", "azure": "Azure AI Foundry"}


@dataclass(frozen=True)
class Use:
    """A model a resource uses: what it was called there, the catalog key and the lifecycle row that applies."""

    what: str
    cloud: str
    key: str
    row: Lifecycle


def _azure_key(catalog: Catalog, name: str, version: str | None) -> tuple[str | None, str | None]:
    """(catalog key of the Foundry model `name` at `version`, the catalog's version when only the name matches)."""
    known = None
    for key, model in catalog.models.items():
        azure = model.azure
        if azure is None or azure.name.lower() != name.lower():
            continue
        if version is None or azure.version == version:
            return key, None
        known = azure.version
    return None, known


def uses(view: ResourceView, catalog: Catalog) -> tuple[list[Use], list[str]]:
    """The catalog models `view` uses, and what it names that the catalog cannot date (a version it lacks)."""
    found: list[Use] = []
    undated: list[str] = []
    if view.type == DEPLOYMENT:
        name = get(view.props, "properties.model.name")
        if not name:
            return found, undated
        version = get(view.props, "properties.model.version")
        sku = get(view.props, "sku.name")
        key, catalog_version = _azure_key(catalog, str(name), str(version) if version else None)
        if key is not None:
            row = catalog.lifecycle(key, "azure", str(sku) if sku else None)
            if row is not None:
                found.append(Use(f"deployment of {name} {version or '(no version)'}", "azure", key, row))
        elif catalog_version is not None:
            undated.append(
                f"deployment of {name} version {version}: the catalog dates only version {catalog_version}, so its "
                "retirement is not known; allowed: a catalog version (`crosscloud models --lifecycle`)"
            )
    elif view.type == SERVERLESS_ENDPOINT:
        model_id = get(view.props, "properties.modelSettings.modelId")
        if model_id:
            base = str(model_id).split("/versions/")[0].lower()
            for key, model in catalog.models.items():
                serverless = model.azure.serverless if model.azure else None
                if serverless is not None and serverless.model_id.split("/versions/")[0].lower() == base:
                    row = catalog.lifecycle(key, "azure")
                    if row is not None:
                        found.append(Use(f"serverless endpoint for {model_id}", "azure", key, row))
                    break
    elif view.type.startswith("aws:"):
        seen: set[str] = set()
        for ref in find_refs(catalog, dict(view.props)):
            if ref.kind in OPAQUE_KINDS or "*" in ref.model_id:
                continue
            key = model_key(catalog, ref.model_id)
            if key is None or key in seen:
                continue
            seen.add(key)
            row = catalog.lifecycle(key, "aws")
            if row is not None:
                found.append(Use(f"{ref.text} at {ref.path}", "aws", key, row))
    return found, undated


def _replacement(row: Lifecycle) -> str:
    return f"replacement: {row.replacement}" if row.replacement else "the vendor names no replacement"


def _days(value: object) -> int | None:
    """A whole, non-negative number of days (policy config arrives over protobuf, where every number is a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
        return None
    return int(value)


def warn_days(ctx: RuleContext) -> int:
    """The policy config's `warn_days`, else the stack's `crosscloud:lifecycle.warn_days`, else 90."""
    configured = _days(ctx.config.get("warn_days"))
    if configured is not None:
        return configured
    settings = ctx.stack_config("crosscloud:lifecycle")
    stacked = _days(settings.get("warn_days")) if isinstance(settings, Mapping) else None
    return DEFAULT_WARN_DAYS if stacked is None else stacked


def check_retired(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    found, _ = uses(view, ctx.catalog)
    for use in found:
        if use.row.status_on(ctx.today) != "retired":
            continue
        when = f"on {use.row.retirement}" if use.row.retirement else "(no date given)"
        yield (
            f"{use.what}: {use.key} retired on {_CLOUD[use.cloud]} {when} ({use.row.source}, read {use.row.date}), "
            f"so it fails; {_replacement(use.row)}; allowed: a model that is not retired (`crosscloud models "
            "--lifecycle`)"
        )


def check_window(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    found, undated = uses(view, ctx.catalog)
    window = warn_days(ctx)
    for use in found:
        days = use.row.days_left(ctx.today)
        if days is None or days < 0 or use.row.status_on(ctx.today) == "retired" or days > window:
            continue
        yield (
            f"{use.what}: {use.key} retires on {_CLOUD[use.cloud]} on {use.row.retirement}, in {days} days "
            f"(window {window}; {use.row.source}, read {use.row.date}); {_replacement(use.row)}; allowed: a model "
            "retiring after the window"
        )
    yield from undated


MODEL_LIFECYCLE = Rule(
    id="model-lifecycle",
    description="No deployment, endpoint or Bedrock reference uses a model the catalog records as retired",
    check=check_retired,
    remediation="Move the resource to the replacement the message names (or another model that is not retired); "
    "`crosscloud models --lifecycle` lists each offering's stage and dates.",
    severity="high",
)

MODEL_LIFECYCLE_WINDOW = Rule(
    id="model-lifecycle-window",
    description="A model retiring within the window (default 90 days) is flagged with its replacement",
    check=check_window,
    remediation="Plan the move to the named replacement before the retirement date; in a crosscloud declaration, "
    "prod refuses such a model unless the endpoint's cloud choice sets lifecycle_ack: '<who> <ticket>'.",
    severity="medium",
    enforcement="advisory",
    config_properties={
        "warn_days": {"type": "integer", "minimum": 0, "description": "days before retirement that count as near"}
    },
)

RULES = (MODEL_LIFECYCLE, MODEL_LIFECYCLE_WINDOW)
