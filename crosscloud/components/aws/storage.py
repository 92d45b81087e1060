"""A private S3 bucket encrypted with a customer-managed key: the one shape every bucket crosscloud creates has
(Bedrock's invocation logs, self-hosted weights), so its settings are written once."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class PrivateBucket:
    bucket: aws.s3.Bucket
    public_access: aws.s3.BucketPublicAccessBlock
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    after: pulumi.ResourceOptions  # for the bucket's other settings: parented, after the bucket exists


def private_bucket(
    role: str,
    bucket_name: str,
    key: aws.kms.Key,
    tags: dict[str, str],
    *,
    parent: pulumi.Resource,
    stateful: pulumi.ResourceOptions,
) -> PrivateBucket:
    """The bucket `role` (protected through `stateful`) and its settings `<role>-ownership` (owner-enforced, no
    ACLs), `-public-access` (all four blocks), `-versioning` and `-encryption` (SSE-KMS with `key`, bucket keys)."""
    bucket = aws.s3.Bucket(role, bucket=bucket_name, force_destroy=False, tags=tags, opts=stateful)
    after = pulumi.ResourceOptions(parent=parent, depends_on=[bucket])
    aws.s3.BucketOwnershipControls(
        f"{role}-ownership", bucket=bucket_name, rule={"object_ownership": "BucketOwnerEnforced"}, opts=after
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{role}-public-access",
        bucket=bucket_name,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=after,
    )
    aws.s3.BucketVersioning(
        f"{role}-versioning", bucket=bucket_name, versioning_configuration={"status": "Enabled"}, opts=after
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{role}-encryption",
        bucket=bucket_name,
        rules=[
            {
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                "bucket_key_enabled": True,
            }
        ],
        opts=after,
    )
    return PrivateBucket(bucket, public_access, encryption, after)
