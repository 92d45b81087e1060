"""Capacity and cost rules: GPU reservations are bounded, commitments are approved, provisioned deployments spill
over instead of failing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from policies.rules.base import ResourceView, Rule, RuleContext, get, is_unknown
from policies.rules.residency import DEPLOYMENT
from policies.rules.where import aws_region_of, tag_value

EC2_RESERVATION = "aws:ec2/capacityReservation:CapacityReservation"
EC2_BLOCK = "aws:ec2/capacityBlockReservation:CapacityBlockReservation"
PROVISIONED_THROUGHPUT = "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput"
ENDS_TAG = "crosscloud:ends"
APPROVAL_TAG = "crosscloud:approved-by"
NO_SPILLOVER_TAG = "crosscloud:no-spillover"
DEFAULT_MAX_COUNT = 8
DEFAULT_GPU_TAGS = ["owner", "cost-center"]


def is_azure_reservation(type_: str) -> bool:
    """azure-native's CapacityReservation, also from a parameterized SDK (azure-native_compute_v20250401:...)."""
    package, _, rest = type_.partition(":")
    return package.startswith("azure-native") and rest.startswith("compute") and type_.endswith(":CapacityReservation")


def _list(ctx: RuleContext, key: str, default: list[str]) -> list[str]:
    value = ctx.config.get(key)
    return [str(v) for v in value] if isinstance(value, list) else default


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def check_gpu_reservation(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    aws = view.type in (EC2_RESERVATION, EC2_BLOCK)
    if not (aws or is_azure_reservation(view.type)):
        return
    max_count = int(ctx.config.get("max_count", DEFAULT_MAX_COUNT))
    table = ctx.catalog.gpus.aws if aws else ctx.catalog.gpus.azure
    allowed_types = _list(ctx, "allowed_types", sorted(table))
    if view.type == EC2_RESERVATION:
        kind, count = get(view.props, "instanceType"), get(view.props, "instanceCount")
        if get(view.props, "endDateType") != "limited" or not get(view.props, "endDate"):
            yield "capacity reservation has no end date (endDateType unlimited); allowed: endDateType limited + endDate"
        region = aws_region_of(view, ctx)
        if kind in table and region and region not in table[str(kind)].reservations.get("on-demand", []):
            yield f"{kind} has no on-demand capacity reservations in {region} in the catalog; see gpus.yaml"
    elif view.type == EC2_BLOCK:
        kind, count = None, None  # type and count come from the purchased offering, which has a fixed end
    else:
        kind, count = get(view.props, "sku.name"), get(view.props, "sku.capacity")
        end = get(view.props, "scheduleProfile.end") or tag_value(view, ENDS_TAG)
        if is_unknown(end):
            get(view.props, f"tags.{ENDS_TAG}")
        if not end or _date(end) is None:
            yield (
                f"capacity reservation has no end date; allowed: scheduleProfile.end (Block) or a '{ENDS_TAG}' tag "
                "yyyy-mm-dd for targeted reservations"
            )
    if kind is not None and str(kind) not in allowed_types:
        yield f"GPU type {kind} is not allowed; allowed: {', '.join(allowed_types)}"
    if count is not None and int(count) > max_count:
        yield f"reserves {int(count)} instances; allowed: at most {max_count}"
    required = _list(ctx, "tags", DEFAULT_GPU_TAGS)
    missing = [t for t in required if tag_value(view, t) in (None, "")]
    if missing:
        yield f"GPU reservation lacks tags {', '.join(missing)}; required: {', '.join(required)}"


def commitment(view: ResourceView, ctx: RuleContext) -> str | None:
    """What long-term spend a resource commits to, or None."""
    if view.type == EC2_BLOCK:
        return "an EC2 Capacity Block (prepaid, non-cancellable)"
    if view.type == PROVISIONED_THROUGHPUT and get(view.props, "commitmentDuration"):
        return f"Bedrock provisioned throughput ({get(view.props, 'commitmentDuration')})"
    if is_azure_reservation(view.type):
        return "an Azure capacity reservation (billed while it exists)"
    if view.type == DEPLOYMENT:
        sku = get(view.props, "sku.name")
        info = ctx.catalog.azure_skus.skus.get(str(sku))
        if info is not None and info.provisioned:
            capacity = get(view.props, "sku.capacity")
            return f"a {sku} deployment ({int(capacity) if capacity else '?'} PTU)"
    return None


def check_commitment_approval(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    what = commitment(view, ctx)
    if what is None:
        return
    tag = str(ctx.config.get("tag", APPROVAL_TAG))
    value = tag_value(view, tag)
    if is_unknown(value):
        get(view.props, f"tags.{tag}")
    if value in (None, ""):
        yield f"{what} has no '{tag}' tag; allowed: '{tag}' naming who approved the spend (and the ticket)"


def check_provisioned_spillover(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if view.type != DEPLOYMENT:
        return
    sku = get(view.props, "sku.name")
    info = ctx.catalog.azure_skus.skus.get(str(sku))
    if info is None or not info.provisioned:
        return
    if get(view.props, "properties.spilloverDeploymentName"):
        return
    ack = tag_value(view, NO_SPILLOVER_TAG)
    if ack in (None, "") or is_unknown(ack):
        yield (
            f"{sku} deployment has no spillover deployment: requests over the PTU quota fail; allowed: "
            f"properties.spilloverDeploymentName, or a '{NO_SPILLOVER_TAG}' tag giving the reason"
        )


GPU_RESERVATION_BOUNDED = Rule(
    id="gpu-reservation-bounded",
    description="GPU capacity reservations have an end date, an allowed type, a bounded count and owner tags",
    check=check_gpu_reservation,
    remediation="Declare GPU capacity in crosscloud:gpu with an `ends` date, a catalog instance type and count; EC2 "
    "reservations use endDateType limited, Azure Block reservations a scheduleProfile.",
    severity="high",
    config_properties={
        "allowed_types": {"type": "array", "items": {"type": "string"}},
        "max_count": {"type": "integer", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
)
COMMITMENT_NEEDS_APPROVAL = Rule(
    id="commitment-needs-approval",
    description="Long-term spend (Capacity Blocks, provisioned throughput, PTU deployments, capacity reservations) "
    "carries an approval tag",
    check=check_commitment_approval,
    remediation=f"Get the spend approved and tag the resource '{APPROVAL_TAG}' = '<approver> <ticket>' (e.g. via "
    "crosscloud:tags).",
    severity="medium",
    config_properties={"tag": {"type": "string"}},
)
PROVISIONED_HAS_SPILLOVER = Rule(
    id="provisioned-has-spillover-or-ack",
    description="Provisioned (PTU) deployments spill over to a pay-per-token deployment, or say why not",
    check=check_provisioned_spillover,
    remediation=f"Set properties.spilloverDeploymentName to a Standard deployment of the same model and class, or tag "
    f"'{NO_SPILLOVER_TAG}' with the reason.",
    severity="medium",
)

RULES = (GPU_RESERVATION_BOUNDED, COMMITMENT_NEEDS_APPROVAL, PROVISIONED_HAS_SPILLOVER)
