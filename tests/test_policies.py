"""The residency pack, run as its own process over the analyzer gRPC interface: a passing and a failing case per
rule, plus fail-closed handling of unknowns and of a missing residency set."""

from __future__ import annotations

import pytest

from crosscloud.engine.check import check_graph
from crosscloud.engine.graph import UNKNOWN
from crosscloud.engine.project import Project
from crosscloud.engine.violations import CheckResult
from policies.rules.base import ResourceView, RuleContext
from policies.rules.residency import check_aws_region, check_azure_location
from tests.graphs import graph, provider, resource


def by_resource(result: CheckResult, policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for v in result.violations:
        if v.policy == policy:
            found.setdefault(v.urn.split("::")[-1], []).append(v.message)
    return found


@pytest.fixture(scope="module")
def residency_result(project: Project) -> CheckResult:
    """One pack run over a graph holding every case (pack start-up dominates the cost)."""
    eu = provider("aws", "aws-eu", region="eu-central-1")
    us = provider("aws", "aws-us", region="us-east-1")
    unknown = provider("aws", "aws-unknown", region=UNKNOWN)
    az_eu = provider("azure-native", "az-eu", location="swedencentral")
    az_uk = provider("azure-native", "az-uk", location="uksouth")
    resources = [
        eu,
        us,
        unknown,
        az_eu,
        az_uk,
        resource("aws:ec2/vpc:Vpc", "vpc-ok", eu, cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-us", us, cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-own-region", eu, region="eu-west-2", cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-unknown", unknown, cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-no-provider", None, cidrBlock="10.0.0.0/16"),
        resource("azure-native:resources:ResourceGroup", "rg-ok", az_eu, location="swedencentral"),
        resource("azure-native:resources:ResourceGroup", "rg-display-name", az_eu, location="West Europe"),
        resource("azure-native:resources:ResourceGroup", "rg-norway", az_eu, location="norwayeast"),
        resource("azure-native:resources:ResourceGroup", "rg-typo", az_eu, location="swedencentrall"),
        resource("azure-native:resources:ResourceGroup", "rg-unknown", az_eu, location=UNKNOWN),
        resource("azure-native:resources:ResourceGroup", "rg-global", az_eu, location="global"),
        resource("azure-native:privatedns:PrivateZone", "dns-global", az_eu, location="global"),
        resource("azure-native:network:Subnet", "subnet-inherits", az_uk, subnetName="a"),
    ]
    return check_graph(graph(resources), [project.root / "policies" / "residency"], start_timeout=60, rpc_timeout=60)


def test_pack_metadata(residency_result: CheckResult) -> None:
    [pack] = residency_result.packs
    assert pack.name == "crosscloud-residency" and pack.version == "0.1.0"
    assert set(pack.policies) == {"aws-region-allowed", "azure-location-allowed"}
    assert all(
        p.enforcement_level == "mandatory" and p.severity == "critical" and p.remediation
        for p in pack.policies.values()
    )


def test_aws_region_allowed(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "aws-region-allowed")
    assert "vpc-ok" not in found and "aws-eu" not in found  # passing cases
    assert found["vpc-us"] == [
        "AWS region us-east-1 is outside residency 'eu'; allowed: eu-central-1, eu-north-1, eu-south-1, eu-south-2, "
        "eu-west-1, eu-west-3, eusc-de-east-1"
    ]
    assert "aws-us" in found  # the provider itself is checked
    assert found["vpc-own-region"][0].startswith("AWS region eu-west-2 is outside residency 'eu'")
    assert "cannot be verified at preview" in found["vpc-unknown"][0] and "fails closed" in found["vpc-unknown"][0]
    assert "residency cannot be proven" in found["vpc-no-provider"][0]


def test_azure_location_allowed(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "azure-location-allowed")
    for passing in ("rg-ok", "rg-display-name", "dns-global", "az-eu", "subnet-inherits"):
        assert passing not in found, passing
    assert found["rg-norway"][0].startswith("Azure location norwayeast is outside residency 'eu'; allowed: austriaeast")
    assert "is not a known region" in found["rg-typo"][0]
    assert "cannot be verified at preview" in found["rg-unknown"][0]
    assert "rg-global" in found, "'global' is only accepted for DNS resource types"
    assert "az-uk" in found


def test_every_violation_is_mandatory_and_attributed(residency_result: CheckResult) -> None:
    assert residency_result.violations
    assert all(
        v.enforcement_level == "mandatory" and v.urn and v.severity == "critical" for v in residency_result.violations
    )


def test_missing_residency_fails_closed_and_policy_config_overrides(project: Project) -> None:
    eu = provider("aws", "aws-eu", region="eu-central-1")
    resources = [eu, resource("aws:ec2/vpc:Vpc", "vpc", eu)]
    pack = [project.root / "policies" / "residency"]
    missing = check_graph(graph(resources, residency=None), pack)
    assert {v.urn.split("::")[-1] for v in missing.violations} == {"aws-eu", "vpc"}
    assert all("no residency set is configured" in v.message for v in missing.violations)
    overridden = check_graph(
        graph(resources, residency="eu"),
        pack,
        {"aws-region-allowed": {"residency": "us"}, "azure-location-allowed": "advisory"},
    )
    assert {v.urn.split("::")[-1] for v in overridden.violations} == {"aws-eu", "vpc"}
    assert all("outside residency 'us'" in v.message for v in overridden.violations)


def test_rule_functions_directly(catalog) -> None:
    ctx = RuleContext(catalog=catalog, residency=catalog.residency("eea"), residency_name="eea", config={})
    assert (
        list(
            check_azure_location(ResourceView("azure-native:resources:ResourceGroup", {"location": "norwayeast"}), ctx)
        )
        == []
    )
    assert list(
        check_aws_region(ResourceView("aws:s3/bucket:Bucket", {}, "pulumi:providers:aws", {"region": "eu-west-2"}), ctx)
    )
    assert list(check_aws_region(ResourceView("azure-native:resources:ResourceGroup", {"location": "x"}), ctx)) == []
