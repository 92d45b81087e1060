"""The self-hosted serving rules, each case beside a compliant twin that differs only in the offending field.

Every bad case must be caught by the rule named for it; every twin must pass the serving rules and every residency
rule, so a rule that flags everything fails here as surely as one that flags nothing. One graph, checked once by the
residency and capacity packs with every rule mandatory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from crosscloud.engine.check import PackRun, check_graph
from crosscloud.engine.graph import UNKNOWN, Resource
from crosscloud.engine.policy_config import parse_policy_config
from crosscloud.engine.project import Project
from crosscloud.engine.violations import CheckResult
from crosscloud.policies.rules import residency, serving
from tests.graphs import graph, provider
from tests.graphs import resource as _resource

SERVING_RULES = {r.id for r in (*serving.CAPACITY_RULES, *serving.RESIDENCY_RULES)}
JUDGED = SERVING_RULES | {r.id for r in residency.RULES}
TAGS = {"owner": "ml", "cost-center": "1", "crosscloud-model": "gpt-oss-120b", "crosscloud:approved-by": "ml FIN-1"}
ARM = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-serving"

NORTH = provider("aws", "aws-eu-north-1", region="eu-north-1")
AZ = provider("azure-native", "az", location="swedencentral")
RG = _resource(
    "azure-native:resources:ResourceGroup", "rg-serving", AZ, resourceGroupName="rg-serving", location="swedencentral"
)


def res(type_: str, name: str, via: Resource, deps: dict[str, list[Resource]] | None = None, **inputs: Any) -> Resource:
    made = _resource(type_, name, via)
    made.inputs = dict(inputs)
    made.property_dependencies = {k: [t.urn for t in v] for k, v in (deps or {}).items()}
    return made


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    make: Callable[[str, bool], list[Resource]]

    @property
    def bad(self) -> str:
        return f"{self.name}-bad"

    @property
    def ok(self) -> str:
        return f"{self.name}-ok"


# -- AWS: a served reservation, as crosscloud/components/aws/serving.py builds it ---------------------------------


def aws_fleet(name: str, **change: Any) -> list[Resource]:
    """Reservation, subnet, security group, launch template, target group, listener, internal NLB and group; `change`
    overrides one field (see each case)."""
    block = change.get("block", False)
    if block:
        reservation = res(
            "aws:ec2/capacityBlockReservation:CapacityBlockReservation",
            f"{name}-reservation",
            NORTH,
            capacityBlockOfferingId="cb-1",
            instancePlatform="Linux/UNIX",
            tags=TAGS,
        )
    else:
        reservation = res(
            "aws:ec2/capacityReservation:CapacityReservation",
            f"{name}-reservation",
            NORTH,
            availabilityZone="eu-north-1b",
            instanceType=change.get("reserved_type", "p5.48xlarge"),
            instanceCount=1,
            instancePlatform="Linux/UNIX",
            instanceMatchCriteria="targeted",
            endDateType="limited",
            endDate="2027-01-31T00:00:00Z",
            tags=TAGS,
        )
    subnet = res(
        "aws:ec2/subnet:Subnet",
        f"{name}-subnet",
        NORTH,
        vpcId=UNKNOWN,
        cidrBlock="10.42.0.0/20",
        availabilityZone=change.get("subnet_zone", "eu-north-1b"),
        mapPublicIpOnLaunch=False,
        tags=TAGS,
    )
    group = res(
        "aws:ec2/securityGroup:SecurityGroup",
        f"{name}-sg",
        NORTH,
        vpcId=UNKNOWN,
        description="instances",
        ingress=[
            {"protocol": "tcp", "fromPort": 8000, "toPort": 8000, "cidrBlocks": [change.get("ingress", "10.42.0.0/20")]}
        ],
        tags=TAGS,
    )
    interface = {
        "deviceIndex": 0,
        "associatePublicIpAddress": change.get("public_ip", "false"),
        "securityGroups": [UNKNOWN],
    }
    market = {"instanceMarketOptions": {"marketType": "capacity-block"}} if change.get("market", block) else {}
    template = res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        f"{name}-template",
        NORTH,
        deps={"capacityReservationSpecification": [reservation], "networkInterfaces": [group]},
        instanceType="p5.48xlarge",
        capacityReservationSpecification={"capacityReservationTarget": {"capacityReservationId": UNKNOWN}},
        placement={"availabilityZone": "eu-north-1b"},
        metadataOptions={"httpTokens": "required"},
        networkInterfaces=[interface],
        tags=TAGS,
        **market,
    )
    targets = res(
        "aws:lb/targetGroup:TargetGroup", f"{name}-targets", NORTH, port=8000, protocol="TCP", vpcId=UNKNOWN, tags=TAGS
    )
    balancer = res(
        "aws:lb/loadBalancer:LoadBalancer",
        f"{name}-nlb",
        NORTH,
        loadBalancerType="network",
        internal=change.get("internal", True),
        subnets=[UNKNOWN],
        tags=TAGS,
    )
    listener = res(
        "aws:lb/listener:Listener",
        f"{name}-listener",
        NORTH,
        deps={"defaultActions": [targets], "loadBalancerArn": [balancer]},
        loadBalancerArn=UNKNOWN,
        port=80,
        protocol="TCP",
        defaultActions=[{"type": "forward", "targetGroupArn": UNKNOWN}],
    )
    tags = dict(TAGS)
    if change.get("no_model"):
        del tags["crosscloud-model"]
    foreign = change.get("foreign_template", False)  # a template the stack does not declare: unknown, fails closed
    fleet = res(
        "aws:autoscaling/group:Group",
        name,
        NORTH,
        deps={
            "launchTemplate": [] if foreign else [template],
            "capacityReservationSpecification": [reservation],
            "vpcZoneIdentifiers": [subnet],
            "targetGroupArns": [targets],
        },
        minSize=1,
        maxSize=change.get("max_size", 1),
        desiredCapacity=1,
        launchTemplate={"id": "lt-0123456789abcdef0" if foreign else UNKNOWN, "version": UNKNOWN},
        capacityReservationSpecification={
            "capacityReservationPreference": change.get("preference", "capacity-reservations-only"),
            "capacityReservationTarget": {"capacityReservationIds": [UNKNOWN]},
        },
        vpcZoneIdentifiers=[UNKNOWN],
        targetGroupArns=[UNKNOWN],
        tags=[{"key": k, "value": v, "propagateAtLaunch": False} for k, v in tags.items()],
    )
    return [reservation, subnet, group, template, targets, balancer, listener, fleet]


def aws_case(name: str, rule: str, bad: dict[str, Any], ok: dict[str, Any] | None = None) -> Case:
    return Case(name, rule, lambda case, is_bad: aws_fleet(case, **(bad if is_bad else (ok or {}))))


# -- Azure: a scale set bound to a targeted reservation, typed or generic -------------------------------------------


def azure_fleet(name: str, **change: Any) -> list[Resource]:
    zones = change.get("reserved_zones", ["1"])
    group = res(
        "azure-native:compute:CapacityReservationGroup",
        f"{name}-crg",
        AZ,
        capacityReservationGroupName=f"{name}-crg",
        resourceGroupName="rg-serving",
        location="swedencentral",
        zones=zones,
        tags=TAGS,
    )
    reservation = res(
        "azure-native:compute:CapacityReservation",
        f"{name}-cr",
        AZ,
        deps={"capacityReservationGroupName": [group]},
        capacityReservationName=f"{name}-cr",
        capacityReservationGroupName=UNKNOWN,
        resourceGroupName="rg-serving",
        location="swedencentral",
        sku={"name": "Standard_NC24ads_A100_v4", "capacity": 1},
        zones=zones,
        tags={**TAGS, "crosscloud:ends": "2027-01-29"},
    )
    frontend: dict[str, Any] = {"name": "private", "subnet": {"id": UNKNOWN}, "privateIPAllocationMethod": "Static"}
    if change.get("public_frontend"):
        frontend = {
            "name": "public",
            "publicIPAddress": {"id": f"{ARM}/providers/Microsoft.Network/publicIPAddresses/p"},
        }
    balancer = res(
        "azure-native:network:LoadBalancer",
        f"{name}-lb",
        AZ,
        loadBalancerName=f"{name}-lb",
        resourceGroupName="rg-serving",
        location="swedencentral",
        sku={"name": "Standard"},
        frontendIPConfigurations=[frontend],
        tags=TAGS,
    )
    ip: dict[str, Any] = {
        "name": "ipv4",
        "subnet": {"id": UNKNOWN},
        "loadBalancerBackendAddressPools": [{"id": UNKNOWN}],
    }
    if change.get("public_ip"):
        ip["publicIPAddressConfiguration"] = {"name": "pip"}
    profile: dict[str, Any] = {
        "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "ipConfigurations": [ip]}]},
    }
    if not change.get("unbound"):
        profile["capacityReservation"] = {"capacityReservationGroup": {"id": UNKNOWN}}
    tags = {**TAGS, "crosscloud-model": change.get("model", "gpt-oss-120b")}
    common: dict[str, Any] = {"resourceGroupName": "rg-serving", "location": "swedencentral", "tags": tags}
    sku = {"name": "Standard_NC24ads_A100_v4", "tier": "Standard", "capacity": 1}
    deps = {"virtualMachineProfile": [group, balancer]}
    if change.get("generic"):  # the ARM shape: properties nested, no zones input
        scale_set = res(
            "azure-native:resources:Resource",
            name,
            AZ,
            deps={"properties": [group, balancer]},
            resourceProviderNamespace="Microsoft.Compute",
            parentResourcePath="",
            resourceType="virtualMachineScaleSets",
            resourceName=name,
            apiVersion="2024-11-01",
            sku=sku,
            properties={
                "singlePlacementGroup": change.get("single_placement_group", False),
                "orchestrationMode": "Uniform",
                "virtualMachineProfile": profile,
            },
            **common,
        )
        scale_set.property_dependencies = {"virtualMachineProfile": [group.urn, balancer.urn]}
    else:
        scale_set = res(
            "azure-native:compute:VirtualMachineScaleSet",
            name,
            AZ,
            deps=deps,
            vmScaleSetName=name,
            zones=change.get("zones", ["1"]),
            sku=sku,
            singlePlacementGroup=change.get("single_placement_group", False),
            orchestrationMode="Uniform",
            virtualMachineProfile=profile,
            **common,
        )
    return [group, reservation, balancer, scale_set]


def azure_case(name: str, rule: str, bad: dict[str, Any], ok: dict[str, Any] | None = None) -> Case:
    return Case(name, rule, lambda case, is_bad: azure_fleet(case, **(bad if is_bad else (ok or {}))))


BOUND = "gpu-fleet-bound-to-reservation"
FITS = "gpu-fleet-model-fits"
PRIVATE = "gpu-node-no-public-ingress"
# The generic token has no zones input: a regional reservation, and the offending field is singlePlacementGroup.
GENERIC_OK: dict[str, Any] = {"generic": True, "reserved_zones": []}
GENERIC_BAD = {**GENERIC_OK, "single_placement_group": True}
CASES = [
    aws_case("asg-preference", BOUND, {"preference": "capacity-reservations-first"}),
    aws_case("asg-zone", BOUND, {"subnet_zone": "eu-north-1a"}),
    aws_case("asg-size", BOUND, {"max_size": 2}),
    aws_case("asg-type", BOUND, {"reserved_type": "p5e.48xlarge"}),
    aws_case("block-market", BOUND, {"block": True, "market": False}, {"block": True}),
    aws_case("asg-foreign-template", BOUND, {"foreign_template": True}),
    aws_case("asg-no-model", FITS, {"no_model": True}),
    aws_case("asg-public-ip", PRIVATE, {"public_ip": "true"}),
    aws_case("asg-open-sg", PRIVATE, {"ingress": "0.0.0.0/0"}),
    aws_case("asg-internet-lb", PRIVATE, {"internal": False}),
    azure_case("vmss-zone", BOUND, {"zones": ["2"]}),
    azure_case("vmss-spg", BOUND, {"single_placement_group": True}),
    azure_case("vmss-unbound", BOUND, {"unbound": True}),
    azure_case("vmss-generic-spg", BOUND, GENERIC_BAD, GENERIC_OK),
    azure_case("vmss-model", FITS, {"model": "llama-3-3-70b"}),
    azure_case("vmss-public-ip", PRIVATE, {"public_ip": True}),
    azure_case("vmss-public-lb", PRIVATE, {"public_frontend": True}),
]


@pytest.fixture(scope="module")
def result(project: Project) -> CheckResult:
    resources = [NORTH, AZ, RG]
    for case in CASES:
        resources += case.make(case.bad, True) + case.make(case.ok, False)
    g = graph(resources)
    config = {"all": "mandatory", "residency-pinned": {"residency": "eu"}}
    policies = project.root / "policies"
    runs = [
        PackRun(policies / "residency", parse_policy_config(config, "residency")),
        PackRun(policies / "capacity", parse_policy_config({"all": "mandatory"}, "capacity")),
    ]
    return check_graph(g, runs)


def found_by(result: CheckResult) -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {}
    for v in result.violations:
        found.setdefault(v.urn.split("::")[-1], {}).setdefault(v.policy, []).append(v.message)
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case_is_caught_and_its_twin_passes(result: CheckResult, case: Case) -> None:
    found = found_by(result)
    assert case.rule in found.get(case.bad, {}), (case.bad, found.get(case.bad))
    twin = {rule: msgs for rule, msgs in found.get(case.ok, {}).items() if rule in JUDGED}
    assert not twin, (case.ok, twin)
    others = [name for name in found if name.startswith(f"{case.ok}-") and set(found[name]) & JUDGED]
    assert not others, {n: found[n] for n in others}


def test_every_serving_rule_has_cases() -> None:
    assert {c.rule for c in CASES} == SERVING_RULES


def test_messages_name_what_is_allowed(result: CheckResult) -> None:
    found = found_by(result)
    assert "capacity-reservations-only" in found["asg-preference-bad"][BOUND][0]
    assert "eu-north-1a" in found["asg-zone-bad"][BOUND][0] and "eu-north-1b" in found["asg-zone-bad"][BOUND][0]
    assert "maxSize at most 1" in found["asg-size-bad"][BOUND][0]
    assert "needs 2 NVIDIA GPU(s)" in found["vmss-model-bad"][FITS][0]
    assert "Standard_NC96ads_A100_v4" in found["vmss-model-bad"][FITS][0]
    assert "0.0.0.0/0" in found["asg-open-sg-bad"][PRIVATE][0]
