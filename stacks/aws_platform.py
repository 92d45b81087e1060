"""The AWS half of the stack program: every AWS component the declaration asks for.

Returns, per logical endpoint, what applications need to call it on AWS (the stack output `endpoints.<name>.aws`):
the model or profile ID, the Region and the runtime endpoint DNS name; the invoke target (the endpoint's application
inference profile ARN, known after apply) is the stack output `aws_invoke_targets.<name>`. Role ARNs are
`aws_role_arns`.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws import (
    AwsContext,
    AwsIdentity,
    AwsIdentityArgs,
    AwsNetwork,
    AwsNetworkArgs,
    BedrockAccess,
    BedrockAccessArgs,
    BedrockEndpoint,
    BedrockInvocationLogging,
    GpuCapacity,
    GpuCapacityArgs,
    InvocationLoggingArgs,
    WorkloadAccess,
)
from components.aws.bedrock import endpoint_access, endpoint_model_resources
from components.aws.documents import control_endpoint_document, runtime_endpoint_document
from components.providers import aws_provider, with_provider
from crosscloud.catalog import load_catalog
from crosscloud.declaration import Declaration


def _account(settings_account: str | None, provider: pulumi.ProviderResource) -> str:
    """The account ID as a plain string: declared, else asked of STS (an invoke, answered offline by the engine)."""
    if settings_account:
        return settings_account
    return str(aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id)


def build(declaration: Declaration, tags: dict[str, str]) -> dict[str, dict[str, Any]]:
    spec = declaration.spec
    if spec.aws is None:
        return {}
    settings = spec.aws
    provider = aws_provider(f"aws-{settings.region}", settings)
    opts = with_provider(provider)
    catalog = load_catalog()
    ctx = AwsContext(
        partition=catalog.aws_partition(settings.region),
        region=settings.region,
        account=_account(settings.account_id, provider),
        prefix=f"crosscloud-{pulumi.get_stack()}",
    )
    protect = spec.protect_stateful
    provisioned = {e.name: e.aws.provisioned for e in spec.endpoints if e.aws is not None}
    endpoints = [
        BedrockEndpoint(e.name, e.aws, provisioned.get(e.name), chat=catalog.models[e.aws.model].kind == "chat")
        for e in declaration.endpoints
        if e.aws is not None
    ]

    access = None
    if endpoints:
        access = BedrockAccess(
            "aws-bedrock",
            BedrockAccessArgs(ctx=ctx, endpoints=endpoints, guardrail=settings.guardrail, tags=tags, protect=protect),
            opts=opts,
        )
    if settings.invocation_logging.enabled:
        logging = BedrockInvocationLogging(
            "aws-bedrock-logging",
            InvocationLoggingArgs(ctx=ctx, settings=settings.invocation_logging, tags=tags, protect=protect),
            opts=opts,
        )
        pulumi.export("aws_invocation_log_bucket", logging.bucket_name)

    runtime_dns = ctx.regional_dns("bedrock-runtime")
    if settings.network is not None:
        # Endpoint policies: through bedrock-runtime, this account may invoke only the stack's models and profiles;
        # through the bedrock control plane it may only read them (deployments run from CI, outside the VPC).
        models = endpoint_model_resources(ctx, endpoints)
        access_tags = [endpoint_access(ctx, e.name) for e in endpoints]
        provisioned_any = any(e.provisioned is not None for e in endpoints)
        profiles = [m for m in models if ":inference-profile/" in m]
        foundation_models = [m for m in models if ":foundation-model/" in m]
        network = AwsNetwork(
            "aws-network",
            AwsNetworkArgs(
                ctx=ctx,
                cidr=settings.network.cidr,
                zones=[f"{settings.region}{letter}" for letter in "abcdef"[: settings.network.zones]],
                optional_services=tuple(
                    service
                    for service, wanted in (
                        ("bedrock-agent-runtime", settings.network.endpoints.agent_runtime),
                        ("bedrock-mantle", settings.network.endpoints.mantle),
                    )
                    if wanted
                ),
                runtime_policy=json.dumps(
                    runtime_endpoint_document(
                        ctx.partition, ctx.region, ctx.account, models, access_tags, provisioned_any
                    )
                )
                if models
                else None,
                control_policy=json.dumps(
                    control_endpoint_document(
                        ctx.partition, ctx.region, ctx.account, foundation_models, profiles, access_tags
                    )
                )
                if models
                else None,
                flow_log_retention_days=settings.network.flow_log_retention_days,
                tags=tags,
                protect=protect,
            ),
            opts=opts,
        )
        runtime_dns = network.runtime_dns_name
        pulumi.export("aws_vpc_id", network.vpc_id)
        pulumi.export("aws_private_subnet_ids", network.subnet_ids)

    gpus = [g for g in spec.gpu if g.cloud == "aws"]
    if gpus:
        capacity = GpuCapacity("aws-gpu", GpuCapacityArgs(ctx=ctx, reservations=gpus, tags=tags, protect=protect), opts)
        pulumi.export("aws_gpu_launch_templates", capacity.launch_template_ids)

    policies = {name: a.policy_arns for name, a in access.endpoints.items()} if access else {}
    workloads = [
        WorkloadAccess(
            w.name,
            tuple(w.aws_services),
            tuple(w.aws_roles),
            [arn for ep in w.endpoints for arn in policies.get(ep, [])],
        )
        for w in spec.identity.workloads
        if any(ep in policies for ep in w.endpoints)
    ]
    if workloads or spec.identity.ci is not None:
        identity = AwsIdentity(
            "aws-identity", AwsIdentityArgs(ctx=ctx, workloads=tuple(workloads), ci=spec.identity.ci, tags=tags), opts
        )
        pulumi.export("aws_role_arns", identity.role_arns)

    if access is not None:
        # The invoke target of each endpoint (its application inference profile ARN) exists only after `pulumi up`;
        # exported beside `endpoints` so the rest of the contract stays readable at preview.
        pulumi.export("aws_invoke_targets", {n: a.invoke_target for n, a in access.endpoints.items()})
    return {
        e.name: {
            "invoke_id": e.aws.invoke_id,
            "offering": e.aws.kind,
            "region": e.aws.region,
            "runtime_endpoint": runtime_dns,
        }
        for e in declaration.endpoints
        if e.aws is not None
    }
