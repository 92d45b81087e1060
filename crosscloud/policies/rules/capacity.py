"""Capacity and cost rules: GPU reservations are bounded, commitments are approved, provisioned deployments spill
over instead of failing, and the month's commitments stay within the stack's budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from crosscloud.catalog.prices import (
    Budget,
    Commitment,
    PriceError,
    over_budget,
    parse_budget,
    parse_overrides,
    price_all,
)
from crosscloud.policies.rules.base import (
    Finding,
    ResourceView,
    Rule,
    RuleContext,
    StackView,
    Unknown,
    each_resource,
    get,
    is_unknown,
)
from crosscloud.policies.rules.normalize import GENERIC_RESOURCE, generic_arm_type
from crosscloud.policies.rules.residency import DEPLOYMENT
from crosscloud.policies.rules.where import AzureLocator, aws_region_of, region_of_arn, tag_value

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


# -- monthly-commitment-within-budget ------------------------------------------------------------------------------

BUDGET_KEY = "crosscloud:budget"
PRICES_KEY = "crosscloud:prices"
BLOCK_TAG = "crosscloud:capacity-block"  # <instance type>:<count>:<first day>:<end day>, set by the AWS GPU component
BLOCK_RESERVATION_ARM = "microsoft.compute/capacityreservationgroups/capacityreservations"


def _int(value: Any, path: str) -> int:
    if is_unknown(value):
        raise Unknown(path)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _commitment_of(view: ResourceView, ctx: RuleContext, locator: AzureLocator) -> Commitment | str | None:
    """What `view` commits to, in the price table's terms; a message when it commits to something that cannot be
    read (fail closed); None when it commits to nothing."""
    name = view.name
    if view.type == EC2_RESERVATION:
        region = aws_region_of(view, ctx)
        kind, count = get(view.props, "instanceType"), get(view.props, "instanceCount")
        if not region or not kind:
            return f"capacity reservation {name}: no Region or instance type to price it by"
        return Commitment(
            "aws", name, "capacity reservation", "ec2-on-demand", str(kind), region, _int(count, "instanceCount"),
            ends=_date(get(view.props, "endDate")),
        )  # fmt: skip
    if view.type == EC2_BLOCK:
        tag = tag_value(view, BLOCK_TAG)
        if is_unknown(tag):
            raise Unknown(f"tags.{BLOCK_TAG}")
        parts = str(tag or "").split(":")
        region = aws_region_of(view, ctx)
        starts, ends = (_date(parts[2]), _date(parts[3])) if len(parts) == 4 else (None, None)
        if not region or len(parts) != 4 or not parts[1].isdigit() or starts is None or ends is None:
            return (
                f"Capacity Block {name}: its inputs do not say what it holds (the offering decides); tag it "
                f"'{BLOCK_TAG}' = '<instance type>:<count>:<yyyy-mm-dd start>:<yyyy-mm-dd end>'"
            )
        return Commitment(
            "aws", name, "Capacity Block", "ec2-capacity-block", parts[0], region, int(parts[1]), starts, ends,
            cancellable=False,
        )  # fmt: skip
    if view.type == PROVISIONED_THROUGHPUT:
        arn = get(view.props, "modelArn")
        model_id = str(arn or "").rsplit("/", 1)[-1]
        key = ctx.catalog.bedrock_model_key(model_id)
        region = region_of_arn(arn) or aws_region_of(view, ctx)
        if key is None or not region:
            return f"provisioned throughput {name}: model {model_id or '?'} is not a catalog model, so it has no price"
        term = get(view.props, "commitmentDuration")
        return Commitment(
            "aws", name, "provisioned throughput", "bedrock-provisioned", key, region,
            _int(get(view.props, "modelUnits"), "modelUnits"), term=str(term) if term else "hourly",  # type: ignore[arg-type]
            cancellable=not term,
        )  # fmt: skip
    azure_block = (
        view.type == GENERIC_RESOURCE and (generic_arm_type(view.props)[0] or "").lower() == BLOCK_RESERVATION_ARM
    )
    if is_azure_reservation(view.type) or azure_block or view.type == DEPLOYMENT:
        sku = get(view.props, "sku.name")
        if view.type == DEPLOYMENT:
            info = ctx.catalog.azure_skus.skus.get(str(sku))
            if info is None or not info.provisioned:
                return None
        location, how = locator.location(view)
        if not location or not sku:
            return f"{name}: no location or SKU to price it by ({how})"
        quantity = _int(get(view.props, "sku.capacity"), "sku.capacity")
        if view.type == DEPLOYMENT:
            return Commitment("azure", name, "PTU deployment", "azure-ptu", str(sku), location, quantity)
        ends = get(view.props, "scheduleProfile.end") or get(view.props, "properties.scheduleProfile.end")
        starts = get(view.props, "scheduleProfile.start") or get(view.props, "properties.scheduleProfile.start")
        return Commitment(
            "azure", name, "capacity reservation", "azure-vm", str(sku), location, quantity,
            starts=_date(starts) if starts else None, ends=_date(ends or tag_value(view, ENDS_TAG)),
            cancellable=not azure_block,
        )  # fmt: skip
    return None


def _budgets(ctx: RuleContext) -> tuple[list[tuple[str, Budget]], list[str]]:
    """(the budgets in force, problems reading them): the policy config's `budget` (the platform team's, which a pull
    request does not change) and the stack's `crosscloud:budget`; every one given applies."""
    found: list[tuple[str, Budget]] = []
    problems: list[str] = []
    for where, value in (
        ("policy config budget", ctx.config.get("budget")),
        (BUDGET_KEY, ctx.stack_config(BUDGET_KEY)),
    ):
        try:
            budget = parse_budget(value, where)
        except PriceError as exc:
            problems.append(f"{exc}; the budget cannot be checked")
            continue
        if budget is not None:
            found.append((where, budget))
    return found, problems


def check_budget(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    budgets, problems = _budgets(ctx)
    for problem in problems:
        yield None, problem
    if not budgets:
        if ctx.config.get("require_budget"):
            yield None, f"no budget is set; allowed: {BUDGET_KEY} = {{currency, monthly: {{total, aws, azure}}}}"
        return
    try:
        table = ctx.catalog.prices.with_overrides(parse_overrides(ctx.stack_config(PRICES_KEY), PRICES_KEY))
    except PriceError as exc:
        yield None, f"{exc}; the budget cannot be checked"
        return
    locator = AzureLocator(stack, ctx)
    found: list[Commitment] = []
    unreadable: list[Finding] = []

    def read(view: ResourceView) -> Iterator[str]:
        what = _commitment_of(view, ctx, locator)
        if isinstance(what, str):
            yield what
        elif what is not None:
            found.append(what)

    candidates = [
        r
        for r in stack.resources
        if r.type in COMMITMENT_TYPES or r.type == GENERIC_RESOURCE or is_azure_reservation(r.type)
    ]
    unreadable.extend(each_resource(MONTHLY_COMMITMENT_WITHIN_BUDGET_ID, candidates, ctx, read))
    yield from unreadable
    priced = price_all(found, table, ctx.today)
    for where, budget in budgets:
        for problem in over_budget(priced, budget, table):
            yield None, f"{problem} ({where})"


COMMITMENT_TYPES = frozenset({EC2_RESERVATION, EC2_BLOCK, PROVISIONED_THROUGHPUT, DEPLOYMENT})
MONTHLY_COMMITMENT_WITHIN_BUDGET_ID = "monthly-commitment-within-budget"
MONTHLY_COMMITMENT_WITHIN_BUDGET = Rule(
    id=MONTHLY_COMMITMENT_WITHIN_BUDGET_ID,
    description="The month's committed cost (GPU reservations, Capacity Blocks, provisioned throughput, PTU) stays "
    "within the budget, per cloud and in total, at the catalog's prices",
    check_stack=check_budget,
    remediation=f"Lower the commitment (fewer instances, PTUs or model units, a shorter reservation), or raise "
    f"{BUDGET_KEY} with the approval of whoever owns it; contract prices go in {PRICES_KEY}. "
    "`crosscloud cost <stack>` shows each commitment and its price.",
    severity="high",
    config_properties={
        "budget": {
            "type": "object",
            "properties": {
                "currency": {"type": "string"},
                "monthly": {
                    "type": "object",
                    "properties": {k: {"type": "number"} for k in ("total", "aws", "azure")},
                },
            },
        },
        "require_budget": {"type": "boolean"},
    },
)

RULES = (
    GPU_RESERVATION_BOUNDED,
    COMMITMENT_NEEDS_APPROVAL,
    PROVISIONED_HAS_SPILLOVER,
    MONTHLY_COMMITMENT_WITHIN_BUDGET,
)
