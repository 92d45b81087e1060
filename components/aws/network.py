"""AWS network: a VPC with private subnets only, one per zone, and a default security group that admits nothing.

Private by construction: no internet gateway and no public IPs, so model traffic can only leave through the VPC
endpoints that the Bedrock access component adds.
"""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws
from pydantic import Field

from components.standard import StandardArgs

# Each private subnet is the VPC range plus this many bits: 16 subnets of a /16 VPC are /20s.
SUBNET_EXTRA_BITS = 4


class AwsNetworkArgs(StandardArgs):
    cidr: ipaddress.IPv4Network
    zones: list[str] = Field(min_length=1, max_length=6)


class AwsNetwork(pulumi.ComponentResource):
    """VPC + one private subnet per zone + a private route table; the default security group is emptied."""

    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: AwsNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(args.cidr),
            enable_dns_support=True,  # interface endpoints with private DNS need both
            enable_dns_hostnames=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        # CIS AWS 5.4: the default security group must allow no traffic, so nothing lands in it by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={**tags, "Name": f"{name}-default"},
            opts=child,
        )
        route_table = aws.ec2.RouteTable(
            f"{name}-private-rt", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-private"}, opts=child
        )
        ranges = args.cidr.subnets(prefixlen_diff=SUBNET_EXTRA_BITS)
        subnets = []
        for zone, cidr in zip(args.zones, ranges, strict=False):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=str(cidr),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**tags, "Name": f"{name}-private-{zone}", "tier": "private"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}-rt", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )
            subnets.append(subnet)

        self.vpc_id = vpc.id
        self.subnet_ids = pulumi.Output.all(*[s.id for s in subnets])
        self.register_outputs({"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids})
