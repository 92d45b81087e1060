"""Azure network: a resource group, a VNet and its subnets (private endpoints, workloads, and optionally one delegated
to Foundry Agent Service) behind an NSG that denies inbound traffic from the internet, plus the Private Link DNS zones
the stack's private endpoints resolve through. Subnets get no default outbound access, the Azure counterpart of
"no IGW"."""

from __future__ import annotations

import ipaddress
from typing import Literal

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field

from crosscloud.components.standard import StandardArgs

SUBNET_EXTRA_BITS = 4
SUBNET_ROLES = ("private-endpoints", "workloads")
AGENT_SUBNET = "agents"
# Foundry Agent Service injects its containers into a subnet delegated to Azure Container Apps environments.
AGENT_SUBNET_DELEGATION = "Microsoft.App/environments"


class AzureNetworkArgs(StandardArgs):
    location: str
    cidr: ipaddress.IPv4Network
    resource_group_name: str = Field(min_length=1, max_length=90)
    protect: bool = False
    agent_subnet: bool = False
    # create: crosscloud owns the zones; existing: zone name -> ID owned elsewhere; policy: Azure Policy adds records.
    dns_mode: Literal["create", "existing", "policy"] = "create"
    dns_zones: tuple[str, ...] = ()
    existing_zone_ids: dict[str, str] = Field(default_factory=dict)


class AzureNetwork(pulumi.ComponentResource):
    """Resource group + VNet + NSG-guarded subnets; `subnet_ids` maps each role to its subnet ID."""

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    vnet_id: pulumi.Output[str]
    subnet_ids: dict[str, pulumi.Output[str]]
    subnet_prefixes: dict[str, str]  # role -> address range, known now (static private IPs are carved from them)
    # Zone name -> zone ID for the private endpoints' DNS zone groups; empty when DNS is left to Azure Policy.
    dns_zone_ids: dict[str, pulumi.Output[str]]

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
        roles = (*SUBNET_ROLES, AGENT_SUBNET) if args.agent_subnet else SUBNET_ROLES
        self.subnet_ids, self.subnet_prefixes = {}, {}
        previous: azure_native.network.Subnet | None = None
        for role, cidr in zip(roles, ranges, strict=False):
            delegated = role == AGENT_SUBNET
            subnet = azure_native.network.Subnet(
                f"{name}-{role}",
                subnet_name=role,
                resource_group_name=group.name,
                virtual_network_name=vnet.name,
                address_prefix=str(cidr),
                network_security_group=azure_native.network.NetworkSecurityGroupArgs(id=nsg.id),
                default_outbound_access=False,
                private_endpoint_network_policies="Enabled",
                delegations=(
                    [
                        azure_native.network.DelegationArgs(
                            name=AGENT_SUBNET_DELEGATION, service_name=AGENT_SUBNET_DELEGATION
                        )
                    ]
                    if delegated
                    else None
                ),
                # Azure rejects concurrent subnet writes on one VNet: create them one after another.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else []),
            )
            self.subnet_ids[role] = subnet.id
            self.subnet_prefixes[role] = str(cidr)
            previous = subnet

        self.dns_zone_ids = self._dns(name, args, group.name, vnet.id, tags)
        self.resource_group_name = group.name
        self.resource_group_id = group.id
        self.vnet_id = vnet.id
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "resource_group_id": self.resource_group_id,
                "vnet_id": self.vnet_id,
                "subnet_ids": self.subnet_ids,
                "dns_zone_ids": self.dns_zone_ids,
            }
        )

    def _dns(
        self,
        name: str,
        args: AzureNetworkArgs,
        resource_group_name: pulumi.Output[str],
        vnet_id: pulumi.Output[str],
        tags: dict[str, str],
    ) -> dict[str, pulumi.Output[str]]:
        if args.dns_mode == "policy":
            return {}
        if args.dns_mode == "existing":
            missing = [z for z in args.dns_zones if z not in args.existing_zone_ids]
            if missing:
                raise ValueError(f"dns_mode 'existing' needs zone IDs for {', '.join(missing)}")
            return {z: pulumi.Output.from_input(args.existing_zone_ids[z]) for z in args.dns_zones}
        ids: dict[str, pulumi.Output[str]] = {}
        for zone in args.dns_zones:
            short = zone.removeprefix("privatelink.").replace(".", "-")
            private_zone = azure_native.privatedns.PrivateZone(
                f"{name}-dns-{short}",
                private_zone_name=zone,
                resource_group_name=resource_group_name,
                location="global",  # private DNS zones are global resources
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            azure_native.privatedns.VirtualNetworkLink(
                f"{name}-dns-{short}-link",
                virtual_network_link_name=f"{name}-vnet",
                private_zone_name=private_zone.name,
                resource_group_name=resource_group_name,
                location="global",
                virtual_network=azure_native.privatedns.SubResourceArgs(id=vnet_id),
                registration_enabled=False,  # records come from private endpoints' zone groups, not VM registration
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            ids[zone] = private_zone.id
        return ids
