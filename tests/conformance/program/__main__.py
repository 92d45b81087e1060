"""Conformance program: what the offline engine must record as the Pulumi engine would see it."""

import json

import pulumi
import pulumi_aws as aws


class Box(pulumi.ComponentResource):
    """A component that registers outputs, one of them computed by a child's provider."""

    def __init__(self, name: str, provider: pulumi.ProviderResource) -> None:
        super().__init__("conformance:index:Box", name, None, None)
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block="10.0.0.0/16",
            tags={"Name": f"{name}-vpc"},
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                delete_before_replace=True,
                aliases=[pulumi.Alias(name="old-vpc")],
                custom_timeouts=pulumi.CustomTimeouts(create="10m", delete="1h30m"),
                additional_secret_outputs=["arn"],
                protect=True,
            ),
        )
        self.register_outputs({"cidr": "10.0.0.0/16", "vpcArn": self.vpc.arn})


explicit = aws.Provider("explicit", region="eu-central-1")
box = Box("box", explicit)
role = aws.iam.Role(  # no provider: the engine's default aws provider; no name: the provider auto-names it
    "role",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
            ],
        }
    ),
)
pulumi.export("greeting", pulumi.Config().get("greeting"))
pulumi.export("vpcId", box.vpc.id)
pulumi.export("secretNote", pulumi.Output.secret("hidden"))
