"""Azure network: a resource group, a VNet and two subnets (private endpoints, workloads) behind an NSG that denies
inbound traffic from the internet. Subnets get no default outbound access, the Azure counterpart of "no IGW"."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field

from components.standard import StandardArgs

SUBNET_EXTRA_BITS = 4
SUBNET_ROLES = ("private-endpoints", "workloads")


class AzureNetworkArgs(StandardArgs):
    location: str
    cidr: ipaddress.IPv4Network
    resource_group_name: str = Field(min_length=1, max_length=90)
    protect: bool = False


class AzureNetwork(pulumi.ComponentResource):
    """Resource group + VNet + NSG-guarded subnets; `subnet_ids` maps each role to its subnet ID."""

    resource_group_name: pulumi.Output[str]
    vnet_id: pulumi.Output[str]
    subnet_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AzureNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:azure:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        group = azure_native.resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            # Deleting the group deletes everything stateful inside it.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        nsg = azure_native.network.NetworkSecurityGroup(
            f"{name}-nsg",
            resource_group_name=group.name,
            location=args.location,
            security_rules=[
                azure_native.network.SecurityRuleArgs(
                    name="deny-internet-inbound",
                    priority=4000,
                    direction="Inbound",
                    access="Deny",
                    protocol="*",
                    source_address_prefix="Internet",
                    source_port_range="*",
                    destination_address_prefix="*",
                    destination_port_range="*",
                )
            ],
            tags=tags,
            opts=child,
        )
        vnet = azure_native.network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=group.name,
            location=args.location,
            address_space=azure_native.network.AddressSpaceArgs(address_prefixes=[str(args.cidr)]),
            tags=tags,
            # Subnets are separate resources; without this the VNet would try to delete them on every update.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        ranges = args.cidr.subnets(prefixlen_diff=SUBNET_EXTRA_BITS)
        self.subnet_ids = {}
        previous: azure_native.network.Subnet | None = None
        for role, cidr in zip(SUBNET_ROLES, ranges, strict=False):
            subnet = azure_native.network.Subnet(
                f"{name}-{role}",
                subnet_name=role,
                resource_group_name=group.name,
                virtual_network_name=vnet.name,
                address_prefix=str(cidr),
                network_security_group=azure_native.network.NetworkSecurityGroupArgs(id=nsg.id),
                default_outbound_access=False,
                private_endpoint_network_policies="Enabled",
                # Azure rejects concurrent subnet writes on one VNet: create them one after another.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else []),
            )
            self.subnet_ids[role] = subnet.id
            previous = subnet

        self.resource_group_name = group.name
        self.vnet_id = vnet.id
        self.register_outputs(
            {"resource_group_name": self.resource_group_name, "vnet_id": self.vnet_id, "subnet_ids": self.subnet_ids}
        )
