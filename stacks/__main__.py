"""The crosscloud program: one declaration (Pulumi.<stack>.yaml) -> components on AWS and Azure.

Runs unchanged under `pulumi up` and under crosscloud's offline engine (`crosscloud preview`).
"""

from __future__ import annotations

import pulumi

from components.aws import AwsNetwork, AwsNetworkArgs
from components.azure import AzureNetwork, AzureNetworkArgs
from components.declaration import load_from_pulumi
from components.providers import aws_provider, azure_provider, with_provider
from components.standard import stack_tags

declaration = load_from_pulumi()
spec = declaration.spec
project, stack = pulumi.get_project(), pulumi.get_stack()
tags = stack_tags(spec.tags, project=project, stack=stack, environment=spec.environment)

if spec.aws is not None:
    aws = aws_provider(f"aws-{spec.aws.region}", spec.aws)
    if spec.aws.network is not None:
        zones = [f"{spec.aws.region}{letter}" for letter in "abcdef"[: spec.aws.network.zones]]
        network = AwsNetwork(
            "aws-network",
            AwsNetworkArgs(cidr=spec.aws.network.cidr, zones=zones, tags=tags),
            opts=with_provider(aws),
        )
        pulumi.export("aws_vpc_id", network.vpc_id)
        pulumi.export("aws_private_subnet_ids", network.subnet_ids)

if spec.azure is not None:
    azure = azure_provider(f"azure-{spec.azure.location}", spec.azure)
    if spec.azure.network is not None:
        vnet = AzureNetwork(
            "azure-network",
            AzureNetworkArgs(
                location=spec.azure.location,
                cidr=spec.azure.network.cidr,
                resource_group_name=spec.azure.resource_group or f"rg-{project}-{stack}",
                protect=spec.protect_stateful,
                tags=tags,
            ),
            opts=with_provider(azure),
        )
        pulumi.export("azure_resource_group", vnet.resource_group_name)
        pulumi.export("azure_vnet_id", vnet.vnet_id)

# What each logical endpoint resolves to on each cloud under the stack's residency: the contract applications use.
pulumi.export("residency", declaration.residency.name)
pulumi.export(
    "endpoints",
    {
        e.name: {
            "primary": e.primary,
            "aws": {"invoke_id": e.aws.invoke_id, "region": e.aws.region} if e.aws else None,
            "azure": {
                "deployment_sku": e.azure.sku,
                "model": e.azure.name,
                "version": e.azure.version,
                "location": e.azure.region,
            }
            if e.azure
            else None,
        }
        for e in declaration.endpoints
    },
)
