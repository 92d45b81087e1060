"""Self-hosted GPU fleets: they run only on a reservation the stack declares, their model fits their GPUs, and no
node is reachable from the internet.

A GPU fleet is an Auto Scaling group whose launch template's instance type is a GPU type of the catalog
(gpus.yaml), or a virtual machine scale set whose SKU is one. Everything a rule needs about it is read from the
stack: the launch template, the reservation, the subnets, security groups, target groups, listeners and load
balancers it names (by property dependency, or by a name or ID the stack's own resources carry). What cannot be
resolved is unknown, and unknown fails closed. An Azure scale set may come from the typed token or the generic
`azure-native:resources:Resource` (normalize.py maps both to one view).

Capacity Blocks: their instance type, zone and count come from the purchased offering and are not inputs of the
reservation resource, so for a block the zone is judged against the launch template's placement (set from the same
offering) and the count is not compared.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

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
from crosscloud.policies.rules.where import AzureLocator, Index, aws_region_of

ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
EC2_RESERVATION = "aws:ec2/capacityReservation:CapacityReservation"
EC2_BLOCK = "aws:ec2/capacityBlockReservation:CapacityBlockReservation"
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
VMSS = "azure-native:compute:VirtualMachineScaleSet"
AZURE_GROUP = "azure-native:compute:CapacityReservationGroup"
AZURE_RESERVATION = "azure-native:compute:CapacityReservation"
AZURE_LB = "azure-native:network:LoadBalancer"
CAPACITY_ONLY = "capacity-reservations-only"
MODEL_TAG = "crosscloud-model"
OPEN = ("0.0.0.0/0", "::/0")


def _deps(index: Index, view: ResourceView, key: str, types: tuple[str, ...]) -> list[ResourceView]:
    """Every stack resource of `types` that input `key` of `view` depends on."""
    found = []
    for urn in view.property_dependencies.get(key, ()):
        target = index.by_urn.get(urn)
        if target is not None and target.type in types and target not in found:
            found.append(target)
    return found


def _one(index: Index, view: ResourceView, key: str, types: tuple[str, ...], value: Any, name_key: str) -> Any:
    """The stack resource input `key` names (by dependency, else by its known name or id), or None."""
    found = _deps(index, view, key, types)
    if len(found) == 1:
        return found[0]
    if isinstance(value, str) and not is_unknown(value):
        for type_ in types:
            matches = index.named(type_, name_key, value) or [
                m for m in [index.by_output(value, "id", referrer=view)] if m is not None and m.type == type_
            ]
            if len(matches) == 1:
                return matches[0]
    return None


def _known(props: Any, path: str) -> Any:
    """`get`, with an unknown value returned as its sentinel (selection must not raise; the checks then do)."""
    try:
        return get(props, path)
    except Unknown:
        return "unknown"


def _gpu_types(ctx: RuleContext, cloud: str) -> Mapping[str, Any]:
    return ctx.catalog.gpus.aws if cloud == "aws" else ctx.catalog.gpus.azure


def _template(index: Index, asg: ResourceView) -> ResourceView | None:
    spec = _known(asg.props, "launchTemplate") or {}
    value = spec.get("name") or spec.get("id") if isinstance(spec, Mapping) else None
    return _one(index, asg, "launchTemplate", (LAUNCH_TEMPLATE,), value, "name")  # type: ignore[no-any-return]


def _aws_fleets(stack: StackView, ctx: RuleContext) -> list[tuple[ResourceView, ResourceView | None]]:
    """(group, its launch template or None when it cannot be resolved) for every GPU Auto Scaling group; a group
    whose template is not in the stack is kept (its type is unknown: fails closed)."""
    index = Index(stack)
    fleets = []
    for asg in stack.of_type(ASG):
        template = _template(index, asg)
        kind = _known(template.props, "instanceType") if template is not None else None
        if template is None or kind in _gpu_types(ctx, "aws") or kind in (None, "unknown"):
            fleets.append((asg, template))
    return fleets


def _azure_fleets(stack: StackView, ctx: RuleContext) -> list[ResourceView]:
    """GPU scale sets (by SKU), and scale sets that name a capacity reservation group."""
    found = []
    for view in stack.of_type(VMSS):
        sku = _known(view.props, "sku.name")
        group = _known(view.props, "virtualMachineProfile.capacityReservation.capacityReservationGroup.id")
        if sku in _gpu_types(ctx, "azure") or group is not None or sku in (None, "unknown"):
            found.append(view)
    return found


def _cannot(what: str) -> str:
    return f"{what} is not a resource of this stack, so the fleet cannot be checked (fails closed)"


# -- gpu-fleet-bound-to-reservation ------------------------------------------------------------------------------


def _aws_binding(index: Index, asg: ResourceView, template: ResourceView | None, ctx: RuleContext) -> Iterator[str]:
    if template is None:
        yield _cannot("its launch template") + "; allowed: the launch template of a crosscloud:gpu reservation"
        return
    spec = get(asg.props, "capacityReservationSpecification") or {}
    preference = spec.get("capacityReservationPreference") if isinstance(spec, Mapping) else None
    if preference != CAPACITY_ONLY:
        yield (
            f"capacity reservation preference is {preference or 'unset'}, so instances may launch on on-demand "
            f"capacity outside the reservation; allowed: capacityReservationPreference {CAPACITY_ONLY} with a target"
        )
        return
    target = get(asg.props, "capacityReservationSpecification.capacityReservationTarget.capacityReservationIds")
    reservations = _deps(index, asg, "capacityReservationSpecification", (EC2_RESERVATION, EC2_BLOCK))
    if not target or len(reservations) != len(target):
        yield (
            "targets a capacity reservation this stack does not declare, so its type, zone and size cannot be "
            "proven (fails closed); allowed: the ID of a crosscloud:gpu reservation of this stack"
        )
        return
    kind = get(template.props, "instanceType")
    template_zone = get(template.props, "placement.availabilityZone")
    zones = _asg_zones(index, asg)
    max_size = get(asg.props, "maxSize")
    market = get(template.props, "instanceMarketOptions.marketType")
    for reservation in reservations:
        block = reservation.type == EC2_BLOCK
        region = aws_region_of(reservation, ctx)
        if aws_region_of(asg, ctx) != region:
            yield f"runs in {aws_region_of(asg, ctx)} but its reservation {reservation.name} is in {region}"
        if block and market != "capacity-block":
            yield (
                f"launches into Capacity Block {reservation.name} with market type {market or 'unset'}; allowed: "
                "instanceMarketOptions.marketType capacity-block on the launch template"
            )
        if not block and market == "capacity-block":
            yield f"uses market type capacity-block for {reservation.name}, which is not a Capacity Block"
        zone = template_zone if block else get(reservation.props, "availabilityZone")
        if zones is None:
            yield "its subnets are not resources of this stack, so its zone cannot be proven (fails closed)"
        elif zone is None or any(z != zone for z in zones):
            yield (
                f"launches in {', '.join(sorted(zones)) or 'no zone'} but reservation {reservation.name} holds "
                f"capacity in {zone or 'no declared zone'}; allowed: subnets of {zone} only"
            )
        if block:
            continue
        if get(reservation.props, "instanceType") != kind:
            yield (
                f"launches {kind} but reservation {reservation.name} holds "
                f"{get(reservation.props, 'instanceType')}; allowed: the reservation's instance type"
            )
        count = get(reservation.props, "instanceCount")
        if count is not None and max_size is not None and int(max_size) > int(count):
            yield (
                f"may grow to {int(max_size)} instances but reservation {reservation.name} holds {int(count)}, so "
                f"the rest would fail to launch; allowed: maxSize at most {int(count)}"
            )


def _asg_zones(index: Index, asg: ResourceView) -> list[str] | None:
    """The zones a group launches in: its subnets' (all must be stack subnets), or its availabilityZones."""
    subnets = get(asg.props, "vpcZoneIdentifiers")
    if subnets:
        found = _deps(index, asg, "vpcZoneIdentifiers", (SUBNET,))
        if len(found) != len(subnets):
            return None
        return [str(get(s.props, "availabilityZone")) for s in found]
    return [str(z) for z in get(asg.props, "availabilityZones") or []]


def _azure_binding(locator: AzureLocator, vmss: ResourceView, ctx: RuleContext) -> Iterator[str]:
    props = vmss.props
    group_id = _known(props, "virtualMachineProfile.capacityReservation.capacityReservationGroup.id")
    if group_id is None:
        yield (
            "is not bound to a capacity reservation group, so its VMs run on on-demand capacity; allowed: "
            "virtualMachineProfile.capacityReservation.capacityReservationGroup.id of a crosscloud:gpu reservation"
        )
        return
    group = _one(locator, vmss, "virtualMachineProfile", (AZURE_GROUP,), None, "capacityReservationGroupName")
    if group is None and isinstance(group_id, str) and group_id != "unknown" and not is_unknown(group_id):
        name = group_id.rstrip("/").rsplit("/", 1)[-1]
        matches = locator.named(AZURE_GROUP, "capacityReservationGroupName", name)
        group = matches[0] if len(matches) == 1 else None
    if group is None:
        yield _cannot("its capacity reservation group") + "; allowed: a crosscloud:gpu reservation of this stack"
        return
    reservations = [
        r
        for r in locator.stack.of_type(AZURE_RESERVATION)
        if group.urn in r.property_dependencies.get("capacityReservationGroupName", ())
        or r.props.get("capacityReservationGroupName") == group.props.get("capacityReservationGroupName")
    ]
    if len(reservations) != 1:
        yield f"its group {group.name} holds {len(reservations)} reservations in this stack; allowed: exactly one"
        return
    reservation = reservations[0]
    if get(props, "singlePlacementGroup") is not False:
        yield "has singlePlacementGroup unset or true; a scale set consumes a reservation only with it false"
    if get(props, "proximityPlacementGroup") is not None:
        yield "has a proximity placement group, which capacity reservations do not support; allowed: none"
    sku, held = get(props, "sku.name"), get(reservation.props, "sku.name")
    if sku != held:
        yield f"runs {sku} but reservation {reservation.name} holds {held}; allowed: the reservation's VM size"
    zones, reserved = sorted(get(props, "zones") or []), sorted(get(reservation.props, "zones") or [])
    if zones != reserved:  # a zonal reservation needs the scale set in its zone; a regional one, a regional set
        yield (
            f"runs in zones {', '.join(zones) or 'none (regional)'} but reservation {reservation.name} holds "
            f"capacity in {', '.join(reserved) or 'no zone'}; allowed: the reservation's zone"
        )
    capacity, count = get(props, "sku.capacity"), get(reservation.props, "sku.capacity")
    if capacity is not None and count is not None and int(capacity) > int(count):
        yield (
            f"runs {int(capacity)} VMs but reservation {reservation.name} holds {int(count)}; allowed: at most "
            f"{int(count)}"
        )
    here, _ = locator.location(vmss)
    there, _ = locator.location(reservation)
    if here and there and here.replace(" ", "").lower() != there.replace(" ", "").lower():
        yield f"runs in {here} but reservation {reservation.name} is in {there}"


def check_fleet_binding(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    index = Index(stack)
    fleets = _aws_fleets(stack, ctx)
    templates = {asg.urn: template for asg, template in fleets}
    yield from each_resource(
        "gpu-fleet-bound-to-reservation",
        [asg for asg, _ in fleets],
        ctx,
        lambda asg: _aws_binding(index, asg, templates[asg.urn], ctx),
    )
    locator = AzureLocator(stack, ctx)
    yield from each_resource(
        "gpu-fleet-bound-to-reservation", _azure_fleets(stack, ctx), ctx, lambda v: _azure_binding(locator, v, ctx)
    )


# -- gpu-fleet-model-fits ----------------------------------------------------------------------------------------


def _fits(view: ResourceView, cloud: str, kind: Any, ctx: RuleContext) -> Iterator[str]:
    model = view.tags.get(MODEL_TAG)
    if is_unknown(model):
        get(view.props, f"tags.{MODEL_TAG}")
    if not model:
        yield (
            f"names no model (tag {MODEL_TAG}), so whether it fits its GPUs cannot be proven (fails closed); "
            f"allowed: a '{MODEL_TAG}' tag naming a catalog model with open weights"
        )
        return
    if kind is None:
        yield "its instance type is not known to this stack, so whether the model fits cannot be proven"
        return
    problem = ctx.catalog.fit_problem(str(model), cloud, str(kind))  # type: ignore[arg-type]
    if problem is not None:
        fitting = ctx.catalog.selfhosted_types(str(model), cloud) if str(model) in ctx.catalog.models else []  # type: ignore[arg-type]
        yield f"does not fit: {problem}; allowed: {', '.join(fitting) or 'no GPU type of the catalog'}"


def check_model_fits(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    fleets = _aws_fleets(stack, ctx)
    kinds = {asg.urn: (_known(t.props, "instanceType") if t is not None else None) for asg, t in fleets}
    yield from each_resource(
        "gpu-fleet-model-fits", [a for a, _ in fleets], ctx, lambda a: _fits(a, "aws", kinds[a.urn], ctx)
    )
    yield from each_resource(
        "gpu-fleet-model-fits",
        _azure_fleets(stack, ctx),
        ctx,
        lambda v: _fits(v, "azure", get(v.props, "sku.name"), ctx),
    )


# -- gpu-node-no-public-ingress ----------------------------------------------------------------------------------


def _open_ingress(group: ResourceView) -> list[str]:
    found = []
    for rule in get(group.props, "ingress") or []:
        blocks = [*(get(rule, "cidrBlocks") or []), *(get(rule, "ipv6CidrBlocks") or [])]
        found += [str(b) for b in blocks if b in OPEN]
    return found


def _aws_exposure(index: Index, asg: ResourceView, template: ResourceView | None) -> Iterator[str]:
    if template is None:
        yield _cannot("its launch template")
        return
    interfaces = get(template.props, "networkInterfaces") or []
    if not interfaces:
        yield (
            "its launch template declares no network interface, so whether instances get a public IP depends on "
            "the subnet (fails closed); allowed: networkInterfaces with associatePublicIpAddress false"
        )
    for i, interface in enumerate(interfaces):
        public = get(interface, "associatePublicIpAddress")
        if str(public).lower() != "false":
            yield (
                f"launch template networkInterfaces[{i}].associatePublicIpAddress is {public or 'unset'}; GPU nodes "
                "get no public IP; allowed: false"
            )
    groups = _deps(index, template, "networkInterfaces", (SECURITY_GROUP,))
    named = [g for i in interfaces for g in get(i, "securityGroups") or []]
    if len(groups) < len(named):
        yield _cannot("a security group of its instances")
    for group in groups:
        opened = _open_ingress(group)
        if opened:
            yield f"security group {group.name} admits {', '.join(opened)}; allowed: ingress from private ranges only"
    subnets = _deps(index, asg, "vpcZoneIdentifiers", (SUBNET,))
    for subnet in subnets:
        if get(subnet.props, "mapPublicIpOnLaunch") is True:
            yield f"subnet {subnet.name} maps public IPs on launch; allowed: private subnets"
    for target_group in _deps(index, asg, "targetGroupArns", (*TARGET_GROUPS,)):
        listeners = [
            lst
            for type_ in LISTENERS
            for lst in index.stack.of_type(type_)
            if target_group.urn in lst.property_dependencies.get("defaultActions", ())
        ]
        for listener in listeners:
            balancers = _deps(index, listener, "loadBalancerArn", (*LOAD_BALANCERS,))
            if not balancers:
                yield _cannot(f"the load balancer of listener {listener.name}")
            for lb in balancers:
                if get(lb.props, "internal") is not True:
                    yield f"is served by load balancer {lb.name}, which is internet-facing; allowed: internal true"
    if get(asg.props, "targetGroupArns") and not _deps(index, asg, "targetGroupArns", (*TARGET_GROUPS,)):
        yield _cannot("its target group")


def _azure_exposure(locator: AzureLocator, vmss: ResourceView) -> Iterator[str]:
    configs = get(vmss.props, "virtualMachineProfile.networkProfile.networkInterfaceConfigurations") or []
    for i, nic in enumerate(configs):
        ip_configs = get(nic, "ipConfigurations") or get(nic, "properties.ipConfigurations") or []
        for j, ip in enumerate(ip_configs):
            public = get(ip, "publicIPAddressConfiguration") or get(ip, "properties.publicIPAddressConfiguration")
            if public is not None:
                yield (
                    f"networkInterfaceConfigurations[{i}].ipConfigurations[{j}] gives each VM a public IP; "
                    "allowed: no publicIPAddressConfiguration"
                )
    for lb in _deps(locator, vmss, "virtualMachineProfile", (AZURE_LB,)):
        frontends = get(lb.props, "frontendIPConfigurations") or []
        for k, frontend in enumerate(frontends):
            public = get(frontend, "publicIPAddress") or get(frontend, "properties.publicIPAddress")
            prefix = get(frontend, "publicIPPrefix") or get(frontend, "properties.publicIPPrefix")
            if public is not None or prefix is not None:
                yield (
                    f"is behind load balancer {lb.name}, whose frontendIPConfigurations[{k}] is public; allowed: a "
                    "private frontend (subnet and private IP)"
                )


def check_no_public_ingress(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    index = Index(stack)
    fleets = _aws_fleets(stack, ctx)
    templates = {asg.urn: template for asg, template in fleets}
    yield from each_resource(
        "gpu-node-no-public-ingress",
        [a for a, _ in fleets],
        ctx,
        lambda a: _aws_exposure(index, a, templates[a.urn]),
    )
    locator = AzureLocator(stack, ctx)
    yield from each_resource(
        "gpu-node-no-public-ingress", _azure_fleets(stack, ctx), ctx, lambda v: _azure_exposure(locator, v)
    )


GPU_FLEET_BOUND_TO_RESERVATION = Rule(
    id="gpu-fleet-bound-to-reservation",
    description="A GPU fleet (Auto Scaling group, scale set) launches only into a reservation this stack declares, "
    "in its Region and zone, of its instance type and within its count: no silent on-demand spill-over",
    check_stack=check_fleet_binding,
    remediation="Serve from a crosscloud:gpu pool with route: selfhosted (the components bind the fleet: AWS "
    "capacityReservationPreference capacity-reservations-only targeting the reservation, capacity-block market type "
    "for blocks; Azure capacityReservationGroup.id, singlePlacementGroup false, the reservation's zone).",
    severity="high",
)
GPU_FLEET_MODEL_FITS = Rule(
    id="gpu-fleet-model-fits",
    description="The model a GPU fleet serves (tag crosscloud-model) fits one instance: enough NVIDIA GPUs for its "
    "tensor parallelism, each with the memory the catalog requires",
    check_stack=check_model_fits,
    remediation="Tag the fleet crosscloud-model with the catalog model it serves and choose a GPU type the catalog "
    "lists as fitting (crosscloud models shows the self-hosted GPU types per model).",
    severity="high",
)
GPU_NODE_NO_PUBLIC_INGRESS = Rule(
    id="gpu-node-no-public-ingress",
    description="GPU fleet nodes have no public IP and no ingress from the internet: prompts reach them only from "
    "inside the stack's network, through an internal load balancer",
    check_stack=check_no_public_ingress,
    remediation="Give the launch template's network interface associatePublicIpAddress false and security groups "
    "without 0.0.0.0/0 or ::/0 ingress, put the fleet in private subnets behind an internal load balancer; on Azure "
    "drop publicIPAddressConfiguration and use a private load balancer frontend.",
    severity="critical",
)

CAPACITY_RULES = (GPU_FLEET_BOUND_TO_RESERVATION, GPU_FLEET_MODEL_FITS)
RESIDENCY_RULES = (GPU_NODE_NO_PUBLIC_INGRESS,)
