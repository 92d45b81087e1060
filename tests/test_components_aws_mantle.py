"""The AWS network reads the catalog's bedrock-mantle Region table: no interface endpoint where AWS offers none."""

from __future__ import annotations

import ipaddress

import pytest

from crosscloud.components.aws import AwsNetwork, AwsNetworkArgs
from crosscloud.components.aws.context import AwsContext
from crosscloud.components.providers import aws_provider, with_provider
from crosscloud.declaration.spec import AwsSettings
from crosscloud.engine.synth import record


def mantle_network(region: str) -> list[str]:
    ctx = AwsContext(partition="aws", region=region, account="123456789012", prefix="crosscloud-test")

    def body() -> None:
        AwsNetwork(
            "net",
            AwsNetworkArgs(
                ctx=ctx,
                cidr=ipaddress.IPv4Network("10.50.0.0/16"),
                zones=[f"{region}a"],
                optional_services=("bedrock-mantle",),
                tags={"owner": "ml-platform"},
            ),
            opts=with_provider(aws_provider("aws", AwsSettings(region=region))),
        )

    resources, _ = record("crosscloud", "test", {}, body)
    return [r.inputs.get("serviceName", "") for r in resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"]


def test_mantle_endpoint_where_aws_offers_it() -> None:
    assert "com.amazonaws.eu-central-1.bedrock-mantle" in mantle_network("eu-central-1")


def test_no_mantle_endpoint_where_aws_lists_none() -> None:
    with pytest.raises(Exception, match="bedrock-mantle is not offered in eu-west-3"):
        mantle_network("eu-west-3")
