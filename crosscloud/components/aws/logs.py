"""A service that writes to a KMS-encrypted CloudWatch log group of this stack through a role of its own.

VPC flow logs and Bedrock invocation logging need the same three pieces: the log group (encrypted, with retention,
protected in prod), a role only that service may assume (for this account and source), and a policy letting the role
write to exactly that log group. One function builds them, so both get the same guarantees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.documents import IAM_PATH, log_writer_document, service_trust_document


@dataclass(frozen=True)
class LogWriter:
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    writer: aws.iam.RolePolicy


@dataclass(frozen=True)
class LogWriterNames:
    """Pulumi names of the three children (kept as each component first named them, so URNs stay stable)."""

    log_group: str
    role: str
    writer: str


def encrypted_log_writer(
    names: LogWriterNames,
    ctx: AwsContext,
    *,
    log_group_name: str,
    retention_days: int,
    key: aws.kms.Key,
    service: str,
    source_arn: str,
    role_name: str,
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
    stateful: pulumi.ResourceOptions,
) -> LogWriter:
    log_group = aws.cloudwatch.LogGroup(
        names.log_group,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=key.arn,
        tags=tags,
        opts=stateful,
    )
    role = aws.iam.Role(
        names.role,
        name=role_name,
        path=IAM_PATH,
        assume_role_policy=json.dumps(service_trust_document(service, ctx.account, source_arn)),
        tags=tags,
        opts=child,
    )
    writer = aws.iam.RolePolicy(
        names.writer,
        role=role.id,
        policy=json.dumps(log_writer_document(ctx.partition, ctx.region, ctx.account, log_group_name)),
        opts=child,
    )
    return LogWriter(log_group, role, writer)
