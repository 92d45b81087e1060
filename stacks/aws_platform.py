"""The AWS half of the stack program: every AWS component the declaration asks for.

Returns, per logical endpoint, what applications need to call it on AWS (the stack output `endpoints.<name>.aws`).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.aws import AwsNetwork, AwsNetworkArgs
from components.providers import aws_provider, with_provider
from crosscloud.declaration import Declaration


def build(declaration: Declaration, tags: dict[str, str]) -> dict[str, dict[str, Any]]:
    spec = declaration.spec
    if spec.aws is None:
        return {}
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
    return {
        e.name: {"invoke_id": e.aws.invoke_id, "region": e.aws.region}
        for e in declaration.endpoints
        if e.aws is not None
    }
