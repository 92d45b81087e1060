"""Components under the SDK mock monitor: the inputs each child would send to the engine."""

from __future__ import annotations

import ipaddress

import pulumi
import pytest

from crosscloud.components.azure import AzureNetwork, AzureNetworkArgs
from crosscloud.components.providers import azure_provider, with_provider
from crosscloud.components.standard import stack_tags
from crosscloud.declaration.spec import AzureSettings
from crosscloud.engine.graph import Resource
from crosscloud.engine.synth import record

TAGS = {"owner": "ml-platform", "managed-by": "crosscloud"}


def run(body) -> list[Resource]:
    resources, _ = record("crosscloud", "test", {}, body)
    return resources


def of_type(resources: list[Resource], token: str) -> list[Resource]:
    return [r for r in resources if r.type == token]


def test_azure_network_denies_internet_and_serialises_subnets() -> None:
    def body() -> None:
        provider = azure_provider("azure", AzureSettings(location="swedencentral"))
        AzureNetwork(
            "net",
            AzureNetworkArgs(
                location="swedencentral",
                cidr=ipaddress.IPv4Network("10.51.0.0/16"),
                resource_group_name="rg-crosscloud-test",
                protect=True,
                tags=TAGS,
            ),
            opts=with_provider(provider),
        )

    resources = run(body)
    [group] = of_type(resources, "azure-native:resources:ResourceGroup")
    assert group.inputs == {"resourceGroupName": "rg-crosscloud-test", "location": "swedencentral", "tags": TAGS}
    assert group.protect is True
    [nsg] = of_type(resources, "azure-native:network:NetworkSecurityGroup")
    [rule] = nsg.inputs["securityRules"]
    assert (rule["direction"], rule["access"], rule["sourceAddressPrefix"]) == ("Inbound", "Deny", "Internet")
    [vnet] = of_type(resources, "azure-native:network:VirtualNetwork")
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.51.0.0/16"]}
    assert vnet.ignore_changes == ["subnets"]
    first, second = sorted(of_type(resources, "azure-native:network:Subnet"), key=lambda s: s.inputs["subnetName"])
    assert (first.inputs["subnetName"], first.inputs["addressPrefix"]) == ("private-endpoints", "10.51.0.0/20")
    assert (second.inputs["subnetName"], second.inputs["addressPrefix"]) == ("workloads", "10.51.16.0/20")
    assert first.inputs["defaultOutboundAccess"] is False
    assert first.urn in second.dependencies, "subnets of one VNet are created one after another"
    [provider] = of_type(resources, "pulumi:providers:azure-native")
    assert provider.inputs["location"] == "swedencentral"


def test_stack_tags_add_traceability() -> None:
    tags = stack_tags({"owner": "x"}, project="crosscloud", stack="dev", environment="dev")
    assert tags == {
        "owner": "x",
        "managed-by": "crosscloud",
        "crosscloud-project": "crosscloud",
        "crosscloud-stack": "dev",
        "environment": "dev",
    }


def test_program_config_error_is_a_clean_run_error() -> None:
    from crosscloud.components.declaration import load_from_pulumi

    pulumi.runtime.set_all_config({"crosscloud:residency": "mars", "crosscloud:environment": "dev"}, [])
    try:
        with pytest.raises(pulumi.RunError, match="crosscloud:residency: 'mars' is not a residency set"):
            load_from_pulumi()
    finally:
        pulumi.runtime.set_all_config({}, [])


def test_program_refuses_crosscloud_keys_set_as_secrets() -> None:
    """`pulumi config set --secret crosscloud:tags ...` reaches the program in plain text: refused, not tagged."""
    from crosscloud.components.declaration import load_from_pulumi

    config = {"crosscloud:residency": "eu", "crosscloud:environment": "dev", "crosscloud:tags": '{"owner": "x"}'}
    pulumi.runtime.set_all_config(config, ["crosscloud:tags"])
    try:
        with pytest.raises(pulumi.RunError, match="crosscloud:tags: is set as a secret; crosscloud keys hold no"):
            load_from_pulumi()
    finally:
        pulumi.runtime.set_all_config({}, [])
