"""Residency rules: every resource runs in a region of the stack's residency set (the first rules of the residency
pack; SKU, inference-profile and logging-destination rules join them in the policy-pack issue)."""

from __future__ import annotations

from collections.abc import Iterator

from crosscloud.catalog import Catalog
from policies.rules.base import ResourceView, Rule, RuleContext

AWS_PROVIDER = "pulumi:providers:aws"
AZURE_PROVIDER = "pulumi:providers:azure-native"
# Azure resource types whose location is legitimately "global" (DNS data, not workload data).
AZURE_GLOBAL_TYPES = frozenset(
    {
        "azure-native:privatedns:PrivateZone",
        "azure-native:privatedns:VirtualNetworkLink",
        "azure-native:privatedns:PrivateRecordSet",
    }
)
RESIDENCY_CONFIG = {
    "residency": {
        "type": "string",
        "description": "Residency set to enforce; defaults to the stack's crosscloud:residency",
    }
}


def _allowed(regions: frozenset[str]) -> str:
    return ", ".join(sorted(regions))


def _no_residency(ctx: RuleContext) -> str:
    given = f"{ctx.residency_name!r} is not a residency set" if ctx.residency_name else "no residency set is configured"
    return (
        f"{given}, so no region can be allowed; set crosscloud:residency or the policy config 'residency' to one "
        f"of: {', '.join(ctx.catalog.residency_names)}"
    )


def normalize_azure_location(location: str) -> str:
    """'West Europe' and 'westeurope' name the same region."""
    return location.replace(" ", "").lower()


def aws_region_of(view: ResourceView) -> str | None:
    """An AWS resource's region: its own `region` input (pulumi-aws v7), else its provider's."""
    if view.type == AWS_PROVIDER:
        return view.props.get("region")
    own = view.props.get("region")
    if own:
        return str(own)
    if view.provider_props is not None:
        region = view.provider_props.get("region")
        return str(region) if region else None
    return None


def check_aws_region(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not (view.type.startswith("aws:") or view.type == AWS_PROVIDER):
        return
    if ctx.residency is None:
        yield _no_residency(ctx)
        return
    region = aws_region_of(view)
    if region is None:
        yield (
            "AWS region is not set on the resource or its provider, so residency cannot be proven; "
            "set region on an explicit provider"
        )
    elif region not in ctx.residency.aws:
        yield f"AWS region {region} is outside residency {ctx.residency.name!r}; allowed: {_allowed(ctx.residency.aws)}"


def _azure_location_problem(location: str, catalog: Catalog, ctx: RuleContext) -> str | None:
    assert ctx.residency is not None
    normalized = normalize_azure_location(location)
    if normalized in ctx.residency.azure:
        return None
    if normalized not in catalog.regions.azure_regions:
        return f"Azure location {location!r} is not a known region; allowed: {_allowed(ctx.residency.azure)}"
    allowed = _allowed(ctx.residency.azure)
    return f"Azure location {location} is outside residency {ctx.residency.name!r}; allowed: {allowed}"


def check_azure_location(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not (view.type.startswith("azure-native:") or view.type == AZURE_PROVIDER):
        return
    location = view.props.get("location")
    if location is None:
        return  # a child resource (subnet, deployment, ...) lives where its parent does; the parent is checked
    if ctx.residency is None:
        yield _no_residency(ctx)
        return
    if str(location).lower() == "global" and view.type in AZURE_GLOBAL_TYPES:
        return
    problem = _azure_location_problem(str(location), ctx.catalog, ctx)
    if problem:
        yield problem


AWS_REGION_ALLOWED = Rule(
    id="aws-region-allowed",
    description="AWS resources and providers run only in regions of the stack's residency set",
    check=check_aws_region,
    remediation=(
        "Set crosscloud:aws.region to a region of the residency set (see `crosscloud models --residency <set>`), "
        "or give the resource an explicit provider in such a region."
    ),
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

AZURE_LOCATION_ALLOWED = Rule(
    id="azure-location-allowed",
    description="Azure resources and providers are located only in regions of the stack's residency set",
    check=check_azure_location,
    remediation=(
        "Set crosscloud:azure.location to a region of the residency set, or the resource's location to one; "
        "names of the Azure EU regions do not all say 'europe' (swedencentral, italynorth, ...)."
    ),
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

RULES = (AWS_REGION_ALLOWED, AZURE_LOCATION_ALLOWED)
