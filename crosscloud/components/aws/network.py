"""AWS network: a VPC with private subnets only, one per zone, Bedrock reachable only through interface endpoints.

Private by construction: no internet gateway and no public IPs, so model traffic can only leave through the VPC
endpoints (`bedrock-runtime` and `bedrock`, optionally `bedrock-agent-runtime` and `bedrock-mantle`), whose
security group admits HTTPS from the VPC only and whose policies name the stack's models. S3 is reached through a
gateway endpoint; VPC flow logs go to a KMS-encrypted log group with a retention period.

Endpoint suffixes: Bedrock user guide, vpc-interface-endpoints (bedrock, bedrock-runtime, bedrock-mantle,
bedrock-agent, bedrock-agent-runtime), read 2026-11-23.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import Field

from crosscloud.catalog import load_catalog
from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.kms import customer_managed_key
from crosscloud.components.aws.logs import LogWriterNames, encrypted_log_writer
from crosscloud.components.standard import StatefulArgs

# Each private subnet is the VPC range plus this many bits: 16 subnets of a /16 VPC are /20s.
SUBNET_EXTRA_BITS = 4
RUNTIME_SERVICE = "bedrock-runtime"
CONTROL_SERVICE = "bedrock"
OPTIONAL_SERVICES = ("bedrock-agent-runtime", "bedrock-mantle")
# What a self-hosted GPU fleet reaches without internet access: its image (ECR API and registry; layers come from S3
# through the gateway endpoint), its logs (CloudWatch Logs) and Session Manager (ssm, ssmmessages, ec2messages).
SERVING_SERVICES = ("ecr.api", "ecr.dkr", "logs", "ssm", "ssmmessages", "ec2messages")


class AwsNetworkArgs(StatefulArgs):
    ctx: AwsContext
    cidr: ipaddress.IPv4Network
    zones: list[str] = Field(min_length=1, max_length=6)
    # Extra interface endpoints (from OPTIONAL_SERVICES); they keep the service's default endpoint policy, since
    # crosscloud has no verified resource scoping for them yet.
    optional_services: tuple[str, ...] = ()
    # Endpoint policies (JSON strings or Outputs of one): bedrock-runtime may invoke only the stack's models.
    runtime_policy: Any = None
    control_policy: Any = None
    flow_log_retention_days: int = 365
    # False for a network that only hosts a self-hosted fleet (a GPU pool outside the stack's Region): no Bedrock.
    bedrock_endpoints: bool = True
    # Interface endpoints a self-hosted fleet needs (from SERVING_SERVICES).
    serving_services: tuple[str, ...] = ()


class AwsNetwork(pulumi.ComponentResource):
    """VPC + private subnets + Bedrock interface endpoints + S3 gateway endpoint + flow logs."""

    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    runtime_dns_name: str
    # Per zone: the private subnet and its range (known now), for fleets pinned to one zone.
    subnet_ids_by_zone: dict[str, pulumi.Output[str]]
    subnet_cidrs: dict[str, str]
    # The S3 gateway endpoint's prefix list: the only way to S3 from the private subnets.
    s3_prefix_list_id: pulumi.Output[str]

    def __init__(self, name: str, args: AwsNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:Network", name, None, opts)
        unknown = sorted(set(args.optional_services) - set(OPTIONAL_SERVICES))
        if unknown:
            raise ValueError(f"unknown optional endpoint service(s) {', '.join(unknown)}; known: {OPTIONAL_SERVICES}")
        unknown = sorted(set(args.serving_services) - set(SERVING_SERVICES))
        if unknown:
            raise ValueError(f"unknown serving endpoint service(s) {', '.join(unknown)}; known: {SERVING_SERVICES}")
        if args.optional_services and not args.bedrock_endpoints:
            raise ValueError("optional Bedrock endpoints need bedrock_endpoints")
        if "bedrock-mantle" in args.optional_services:
            # Offered only in some Regions (catalog bedrock_endpoints.yaml, the table the declaration checks too).
            supported, _ = load_catalog().endpoint_service_regions("bedrock-mantle")
            if args.ctx.region not in supported:
                raise ValueError(f"bedrock-mantle is not offered in {args.ctx.region}; Regions: {sorted(supported)}")
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        ctx, tags = args.ctx, dict(args.tags)

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
        self.subnet_ids_by_zone, self.subnet_cidrs = {}, {}
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
            self.subnet_ids_by_zone[zone], self.subnet_cidrs[zone] = subnet.id, str(cidr)

        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description=(
                "Bedrock interface endpoints: HTTPS from inside the VPC only"
                if args.bedrock_endpoints
                else "Interface endpoints: HTTPS from inside the VPC only"
            ),
            ingress=[
                {
                    "description": "HTTPS from the VPC",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": [str(args.cidr)],
                }
            ],
            egress=[],  # endpoint ENIs only answer; replies are allowed by connection tracking
            tags={**tags, "Name": f"{name}-endpoints"},
            opts=child,
        )
        subnet_ids = [s.id for s in subnets]
        policies = {RUNTIME_SERVICE: args.runtime_policy, CONTROL_SERVICE: args.control_policy}
        bedrock = (RUNTIME_SERVICE, CONTROL_SERVICE, *args.optional_services) if args.bedrock_endpoints else ()
        for service in (*bedrock, *args.serving_services):
            aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=vpc.id,
                service_name=ctx.service_name(service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[endpoint_sg.id],
                policy=policies.get(service),
                tags={**tags, "Name": f"{name}-{service}"},
                opts=child,
            )
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=ctx.service_name("s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[route_table.id],
            tags={**tags, "Name": f"{name}-s3"},
            opts=child,
        )

        # Flow logs: every accepted and rejected flow, to a log group encrypted with the stack's key.
        log_group_name = ctx.log_group("vpc-flow-logs")
        key = customer_managed_key(
            f"{name}-flow-logs-key",
            ctx,
            purpose="VPC flow logs",
            tags=tags,
            opts=stateful,
            log_groups=[log_group_name],
        )
        flow_logs = encrypted_log_writer(
            LogWriterNames(f"{name}-flow-logs", f"{name}-flow-logs-role", f"{name}-flow-logs-write"),
            ctx,
            log_group_name=log_group_name,
            retention_days=args.flow_log_retention_days,
            key=key,
            service="vpc-flow-logs.amazonaws.com",
            source_arn=f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:vpc-flow-log/*",
            role_name=f"{ctx.prefix}-vpc-flow-logs",
            tags=tags,
            child=child,
            stateful=stateful,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_logs.log_group.arn,
            iam_role_arn=flow_logs.role.arn,
            max_aggregation_interval=60,
            tags={**tags, "Name": f"{name}-flow-log"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[flow_logs.writer]),
        )

        self.vpc_id = vpc.id
        self.subnet_ids = pulumi.Output.all(*subnet_ids)
        self.runtime_dns_name = ctx.regional_dns(RUNTIME_SERVICE)
        self.s3_prefix_list_id = s3.prefix_list_id
        self.register_outputs(
            {"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids, "runtime_dns_name": self.runtime_dns_name}
        )
