"""A customer-managed KMS key per component that encrypts state (AVM's customer-managed-key interface)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.documents import kms_key_document


def customer_managed_key(
    name: str,
    ctx: AwsContext,
    *,
    purpose: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    log_groups: Sequence[str] = (),
    bedrock: bool = False,
) -> aws.kms.Key:
    """A symmetric key with yearly rotation and a 30-day deletion window, usable by the named log groups only."""
    return aws.kms.Key(
        name,
        description=f"crosscloud {ctx.prefix}: {purpose}",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=json.dumps(kms_key_document(ctx.partition, ctx.region, ctx.account, log_groups, bedrock)),
        tags={**tags, "Name": name},
        opts=opts,
    )
