"""Amazon Bedrock access for a stack: least-privilege invoke policies, application inference profiles, a guardrail
with a published version, optional provisioned throughput; and, separately, the account+Region singleton model
invocation logging.

Per logical endpoint, managed policies built from known parts, so policy packs read them at preview:
- `<prefix>-<endpoint>-models`: the model (in-region) or the system profile plus the foundation model in each of its
  destination Regions (from the catalog, per source Region), the latter only through that profile.
- `<prefix>-<endpoint>-profile`: the application inference profile (the endpoint's invoke target) and its provisioned
  throughput, named by their `crosscloud-access` tag (their ARNs exist only after `pulumi up`), the models they route
  to, and applying the stack's guardrail (ApplyGuardrail, the key's kms:Decrypt through Bedrock).
- `<prefix>-<endpoint>-guardrail` (chat endpoints, when the guardrail is `require`d): Deny every call without the
  published guardrail version. Its identifier embeds the ID Bedrock generates at creation, so this Deny-only document
  is the one a first preview cannot know; policy packs check it at `pulumi up`, before it is created.

Pulumi types: aws.bedrock.InferenceProfile (model_source.copy_from), aws.bedrock.Guardrail / GuardrailVersion,
aws.bedrock.ProvisionedModelThroughput, aws.bedrockmodel.InvocationLoggingConfiguration (pulumi-aws 7.51.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from crosscloud.catalog import AwsOffering
from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.documents import (
    ACCESS_TAG,
    IAM_PATH,
    application_profile_document,
    foundation_model_arn,
    guardrail_requirement_document,
    log_bucket_document,
    model_access_document,
    model_resources,
    system_profile_arn,
)
from crosscloud.components.aws.kms import customer_managed_key
from crosscloud.components.aws.logs import LogWriterNames, encrypted_log_writer
from crosscloud.components.aws.storage import private_bucket
from crosscloud.components.standard import StatefulArgs
from crosscloud.declaration.spec import APPROVAL_TAG, AwsGuardrail, AwsInvocationLogging, AwsProvisionedThroughput

# Content filter categories of a Bedrock guardrail; PROMPT_ATTACK applies to input only, so its output strength
# must be NONE (Bedrock API reference, GuardrailContentFilterConfig, read 2026-11-23).
CONTENT_FILTERS = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")


@dataclass(frozen=True)
class BedrockEndpoint:
    """A logical endpoint as Bedrock serves it: the resolved offering and optional provisioned throughput."""

    name: str
    offer: AwsOffering
    provisioned: AwsProvisionedThroughput | None = None
    # Guardrails screen text generation; embedding calls are never required to carry one.
    chat: bool = True


class BedrockAccessArgs(StatefulArgs):
    ctx: AwsContext
    endpoints: list[BedrockEndpoint]
    guardrail: AwsGuardrail = AwsGuardrail()


@dataclass(frozen=True)
class GuardrailAccess:
    """The `crosscloud-access` tag values of the stack's guardrail and of its key."""

    guardrail: str
    key: str


@dataclass
class EndpointAccess:
    """What the stack exports and IAM attaches for one endpoint."""

    invoke_target: pulumi.Output[str]  # the application inference profile ARN
    policy_arns: list[pulumi.Output[str]]
    model_document: dict[str, Any]
    provisioned_model_arn: pulumi.Output[str] | None


def copy_source_arn(ctx: AwsContext, offer: AwsOffering) -> str:
    """What an application inference profile copies from: the in-region model or the system-defined profile."""
    if offer.kind == "in-region":
        return foundation_model_arn(ctx.partition, offer.region, offer.model_id)
    return system_profile_arn(ctx.partition, offer.region, ctx.account, offer.invoke_id)


class BedrockAccess(pulumi.ComponentResource):
    """Invoke policies, application inference profiles, guardrail (+ version) and provisioned throughput."""

    endpoints: dict[str, EndpointAccess]
    guardrail_id: pulumi.Output[str]
    guardrail_version: pulumi.Output[str]

    def __init__(self, name: str, args: BedrockAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:BedrockAccess", name, None, opts)
        ctx, tags = args.ctx, dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)

        access = GuardrailAccess(guardrail=f"{ctx.prefix}-guardrail", key=f"{ctx.prefix}-guardrail-key")
        key = customer_managed_key(
            f"{name}-guardrail-key",
            ctx,
            purpose="Bedrock guardrail",
            tags={**tags, ACCESS_TAG: access.key},
            opts=stateful,
            bedrock=True,
        )
        guardrail = self._guardrail(name, ctx, args.guardrail, key, {**tags, ACCESS_TAG: access.guardrail}, child)
        version = aws.bedrock.GuardrailVersion(
            f"{name}-guardrail-version",
            guardrail_arn=guardrail.guardrail_arn,
            description=f"crosscloud {ctx.prefix}: published guardrail",
            skip_destroy=True,  # applications may pin this version; keep it when the stack moves on
            opts=child,
        )
        guardrail_identifier = (
            pulumi.Output.concat(guardrail.guardrail_arn, ":", version.version) if args.guardrail.require else None
        )

        self.endpoints = {}
        for endpoint in args.endpoints:
            self.endpoints[endpoint.name] = self._endpoint(
                name,
                ctx,
                endpoint,
                tags,
                guardrail_identifier if endpoint.chat else None,
                access,
                child,
                args.protect,
            )
        self.guardrail_id = guardrail.guardrail_id
        self.guardrail_version = version.version
        self.register_outputs(
            {
                "invoke_targets": {n: e.invoke_target for n, e in self.endpoints.items()},
                "guardrail_id": self.guardrail_id,
                "guardrail_version": self.guardrail_version,
            }
        )

    @staticmethod
    def _guardrail(
        name: str,
        ctx: AwsContext,
        settings: AwsGuardrail,
        key: aws.kms.Key,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> aws.bedrock.Guardrail:
        strength = settings.content_filter_strength
        filters: list[dict[str, str]] = [
            {"type": t, "input_strength": strength, "output_strength": strength} for t in CONTENT_FILTERS
        ]
        filters.append({"type": "PROMPT_ATTACK", "input_strength": strength, "output_strength": "NONE"})
        topics = [
            {"name": t.name, "definition": t.definition, "examples": list(t.examples), "type": "DENY"}
            for t in settings.denied_topics
        ]
        return aws.bedrock.Guardrail(
            f"{name}-guardrail",
            name=f"{ctx.prefix}-guardrail",
            description=f"crosscloud {ctx.prefix}: content, prompt-attack, PII and topic filters",
            blocked_input_messaging="This request was blocked by the platform's content policy.",
            blocked_outputs_messaging="The response was blocked by the platform's content policy.",
            content_policy_config={"filters_configs": filters},
            sensitive_information_policy_config={
                "pii_entities_configs": [{"type": t, "action": settings.pii_action} for t in settings.pii_entities]
            },
            topic_policy_config={"topics_configs": topics} if topics else None,
            kms_key_arn=key.arn,
            tags=tags,
            opts=opts,
        )

    @staticmethod
    def _endpoint(
        name: str,
        ctx: AwsContext,
        endpoint: BedrockEndpoint,
        tags: dict[str, str],
        guardrail_identifier: pulumi.Output[str] | None,
        guardrail: GuardrailAccess,
        opts: pulumi.ResourceOptions,
        protect: bool,
    ) -> EndpointAccess:
        offer, ep = endpoint.offer, endpoint.name
        if offer.region != ctx.region:
            raise ValueError(f"endpoint {ep}: offering resolved for {offer.region}, stack Region is {ctx.region}")
        # Cost allocation: activate these tag keys in Billing to see spend per endpoint and stack. The access tag
        # (the profile's own name, unique in the account and Region) is how IAM names the profile before its ARN
        # exists.
        access = endpoint_access(ctx, ep)
        cost_tags = {**tags, "crosscloud-endpoint": ep, "crosscloud-model": offer.model}
        profile = aws.bedrock.InferenceProfile(
            f"{name}-{ep}-profile",
            name=access,
            description=f"crosscloud endpoint {ep}: {offer.invoke_id}",
            model_source={"copy_from": copy_source_arn(ctx, offer)},
            tags={**cost_tags, ACCESS_TAG: access},
            opts=opts,
        )
        document = model_access_document(ep, offer, ctx.partition, ctx.account)
        models_policy = aws.iam.Policy(
            f"{name}-{ep}-models",
            name=f"{ctx.prefix}-{ep}-models",
            path=IAM_PATH,
            description=f"Invoke {offer.invoke_id} (crosscloud endpoint {ep})",
            policy=json.dumps(document),
            tags=cost_tags,
            opts=opts,
        )
        provisioned_arn: pulumi.Output[str] | None = None
        if endpoint.provisioned is not None:
            # A term commitment cannot be cancelled: protect it in every environment.
            committed = endpoint.provisioned.commitment is not None
            approval = endpoint.provisioned.approved_by
            throughput = aws.bedrock.ProvisionedModelThroughput(
                f"{name}-{ep}-throughput",
                provisioned_model_name=f"{ctx.prefix}-{ep}",
                model_arn=foundation_model_arn(ctx.partition, ctx.region, offer.model_id),
                model_units=endpoint.provisioned.model_units,
                commitment_duration=endpoint.provisioned.commitment,
                tags={
                    **cost_tags,
                    ACCESS_TAG: access,
                    **({APPROVAL_TAG: approval} if (approval := endpoint.provisioned.approved_by) else {}),
                },
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=protect or committed)),
            )
            provisioned_arn = throughput.provisioned_model_arn

        profile_policy = aws.iam.Policy(
            f"{name}-{ep}-profile-policy",
            name=f"{ctx.prefix}-{ep}-profile",
            path=IAM_PATH,
            description=f"Invoke crosscloud endpoint {ep} through its application inference profile",
            policy=json.dumps(
                application_profile_document(
                    ep,
                    offer,
                    ctx.partition,
                    ctx.account,
                    access,
                    provisioned=endpoint.provisioned is not None,
                    guardrail_access=guardrail.guardrail,
                    guardrail_key_access=guardrail.key,
                )
            ),
            tags=cost_tags,
            opts=opts,
        )
        policy_arns = [models_policy.arn, profile_policy.arn]
        if guardrail_identifier is not None:
            required = aws.iam.Policy(
                f"{name}-{ep}-guardrail-policy",
                name=f"{ctx.prefix}-{ep}-guardrail",
                path=IAM_PATH,
                description=f"Refuse calls to crosscloud endpoint {ep} that do not apply the published guardrail",
                policy=guardrail_identifier.apply(
                    lambda identifier: json.dumps(
                        guardrail_requirement_document(ep, offer, ctx.partition, ctx.account, access, identifier)
                    )
                ),
                tags=cost_tags,
                opts=opts,
            )
            policy_arns.append(required.arn)
        return EndpointAccess(
            invoke_target=profile.arn,
            policy_arns=policy_arns,
            model_document=document,
            provisioned_model_arn=provisioned_arn,
        )


def endpoint_access(ctx: AwsContext, endpoint: str) -> str:
    """The `crosscloud-access` tag of an endpoint's application profile and provisioned throughput: their own name,
    unique in the account and Region, so a grant never names another stack's profile."""
    return f"{ctx.prefix}-{endpoint}"


def endpoint_model_resources(ctx: AwsContext, endpoints: list[BedrockEndpoint]) -> list[str]:
    """Every model and system-profile ARN the stack's endpoints may touch (for the VPC endpoint policies)."""
    return sorted({arn for e in endpoints for arn in model_resources(e.offer, ctx.partition, ctx.account)})


class InvocationLoggingArgs(StatefulArgs):
    ctx: AwsContext
    settings: AwsInvocationLogging


# Invocation logs land under this prefix of the bucket (model-invocation-logging, Bedrock user guide, 2026-11-23).
LOG_PREFIX = "bedrock"


class BedrockInvocationLogging(pulumi.ComponentResource):
    """Model invocation logging for the account and Region: S3 (KMS, versioned, private, lifecycle) and a
    KMS-encrypted CloudWatch log group written by a role only Bedrock of this account and Region can assume.

    Only one stack per account and Region may create this (the configuration is a singleton)."""

    bucket_name: str
    log_group_name: str

    def __init__(self, name: str, args: InvocationLoggingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:BedrockInvocationLogging", name, None, opts)
        ctx, tags, settings = args.ctx, dict(args.tags), args.settings
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        bucket_name = f"{ctx.prefix}-bedrock-logs-{ctx.account}-{ctx.region}"
        if len(bucket_name) > 63:
            raise ValueError(f"bucket name {bucket_name} is longer than 63 characters; use a shorter stack name")
        log_group_name = ctx.log_group("bedrock-invocations")

        key = customer_managed_key(
            f"{name}-key",
            ctx,
            purpose="Bedrock invocation logs",
            tags=tags,
            opts=stateful,
            log_groups=[log_group_name],
            bedrock=True,
        )
        stored = private_bucket(f"{name}-bucket", bucket_name, key, tags, parent=self, stateful=stateful)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-bucket-lifecycle",
            bucket=bucket_name,
            rules=[
                {
                    "id": "archive-then-expire",
                    "status": "Enabled",
                    "filter": {"prefix": f"{LOG_PREFIX}/"},
                    "transitions": [{"days": settings.archive_days, "storage_class": "GLACIER_IR"}],
                    "expiration": {"days": settings.expire_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=stored.after,
        )
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=bucket_name,
            policy=json.dumps(log_bucket_document(ctx.partition, ctx.region, ctx.account, bucket_name, LOG_PREFIX)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[stored.bucket, stored.public_access]),
        )
        logs = encrypted_log_writer(
            LogWriterNames(f"{name}-log-group", f"{name}-role", f"{name}-role-write"),
            ctx,
            log_group_name=log_group_name,
            retention_days=settings.retention_days,
            key=key,
            service="bedrock.amazonaws.com",
            source_arn=f"arn:{ctx.partition}:bedrock:{ctx.region}:{ctx.account}:*",
            role_name=f"{ctx.prefix}-bedrock-logging",
            tags=tags,
            child=child,
            stateful=stateful,
        )
        aws.bedrockmodel.InvocationLoggingConfiguration(
            f"{name}-configuration",
            logging_config={
                "cloudwatch_config": {"log_group_name": log_group_name, "role_arn": logs.role.arn},
                "s3_config": {"bucket_name": bucket_name, "key_prefix": LOG_PREFIX},
                "text_data_delivery_enabled": True,
                "image_data_delivery_enabled": True,
                "embedding_data_delivery_enabled": True,
                "video_data_delivery_enabled": True,
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[bucket_policy, stored.encryption, logs.log_group, logs.writer]
            ),
        )
        self.bucket_name = bucket_name
        self.log_group_name = log_group_name
        self.register_outputs({"bucket_name": bucket_name, "log_group_name": log_group_name})
