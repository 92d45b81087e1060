"""The AWS half of the platform: every AWS component the declaration asks for (the parts in scope).

Returns, per logical endpoint, what applications need to call it on AWS (the stack output `endpoints.<name>.aws`):
the model or profile ID, the Region and the runtime endpoint DNS name; the invoke target (the endpoint's application
inference profile ARN, known after apply) is the stack output `aws_invoke_targets.<name>`. Role ARNs are
`aws_role_arns`. Cross-cloud federation (the Entra tenant's OIDC provider, the account's outbound federation) is
built here too; what the Azure half needs of it (role ARNs, the outbound issuer) is returned.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from crosscloud.catalog import load_catalog
from crosscloud.components.aws import (
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
from crosscloud.components.aws.bedrock import endpoint_access, endpoint_model_resources
from crosscloud.components.aws.documents import control_endpoint_document, runtime_endpoint_document
from crosscloud.components.aws.federation import AwsFederation, AwsFederationArgs, ci_federation_document
from crosscloud.components.aws.iam import EntraTrust, workload_role_arn
from crosscloud.components.aws.network import SERVING_SERVICES
from crosscloud.components.aws.serving import (
    AwsServingEndpoint,
    AwsServingEndpointArgs,
    AwsServingFleet,
    AwsServingFleetArgs,
)
from crosscloud.components.providers import aws_provider
from crosscloud.components.serving_host import weights_prefix
from crosscloud.components.standard import StrInput
from crosscloud.declaration import Declaration
from crosscloud.declaration.selfhosted import SelfHostedRoute
from crosscloud.declaration.spec import Workload
from crosscloud.platform.scope import Scope


def _account(settings_account: str | None, provider: pulumi.ProviderResource) -> str:
    """The account ID as a plain string: declared, else asked of STS (an invoke, answered offline by the engine)."""
    if settings_account:
        return settings_account
    return str(aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id)


@dataclass(frozen=True)
class AwsResult:
    """What the rest of the program needs from the AWS half."""

    # Per logical endpoint, the stack output `endpoints.<name>.aws`.
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Workload roles by workload name, their ARNs built from known parts (the same string IAM reports).
    role_arns: dict[str, str] = field(default_factory=dict)
    region: str | None = None
    # The account's outbound identity federation issuer: declared, or this stack's resource's (known after apply).
    outbound_issuer: StrInput | None = None
    entra_provider_arn: str | None = None


def build(
    declaration: Declaration, tags: dict[str, str], scope: Scope, entra_tenant_id: str | None = None
) -> AwsResult:
    spec = declaration.spec
    parts = scope.parts
    if spec.aws is None or not parts.aws:
        return AwsResult()
    settings = spec.aws
    provider = aws_provider(f"aws-{settings.region}", settings, scope.opts())
    opts = scope.opts(provider)
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
    if endpoints and parts.bedrock:
        access = BedrockAccess(
            "aws-bedrock",
            BedrockAccessArgs(ctx=ctx, endpoints=endpoints, guardrail=settings.guardrail, tags=tags, protect=protect),
            opts=opts,
        )
    if settings.invocation_logging.enabled and parts.bedrock:
        logging = BedrockInvocationLogging(
            "aws-bedrock-logging",
            InvocationLoggingArgs(ctx=ctx, settings=settings.invocation_logging, tags=tags, protect=protect),
            opts=opts,
        )
        scope.exports["aws_invocation_log_bucket"] = logging.bucket_name

    runtime_dns = ctx.regional_dns("bedrock-runtime")
    network: AwsNetwork | None = None
    routes = [e.aws_selfhosted for e in declaration.endpoints if e.aws_selfhosted is not None]
    if settings.network is not None and parts.aws_network:
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
                serving_services=SERVING_SERVICES if any(r.own_network is None for r in routes) else (),
                tags=tags,
                protect=protect,
            ),
            opts=opts,
        )
        runtime_dns = network.runtime_dns_name
        scope.exports["aws_vpc_id"] = network.vpc_id
        scope.exports["aws_private_subnet_ids"] = network.subnet_ids

    providers = {settings.region: provider}
    serving = (
        _selfhosted_endpoints(declaration, routes, ctx, network, providers, tags, scope) if parts.aws_serving else {}
    )
    gpus = [g for g in spec.gpu if g.cloud == "aws"]
    if gpus and parts.aws_gpu:
        fleets = {pool: plane.launch for pool, (plane, _) in serving.items()}
        capacity = GpuCapacity(
            "aws-gpu", GpuCapacityArgs(ctx=ctx, reservations=gpus, fleets=fleets, tags=tags, protect=protect), opts
        )
        scope.exports["aws_gpu_launch_templates"] = capacity.launch_template_ids
        _selfhosted_fleets(serving, capacity, providers, tags, scope)

    policies = {name: a.policy_arns for name, a in access.endpoints.items()} if access else {}
    federation = _federation(declaration, ctx, entra_tenant_id, tags, opts) if parts.aws_identity else None
    workloads = (
        [
            WorkloadAccess(
                w.name,
                tuple(w.aws_services),
                tuple(w.aws_roles),
                [arn for ep in w.endpoints for arn in policies.get(ep, [])],
                entra=_entra_trust(w, federation, entra_tenant_id),
                entra_tokens=w.federation.aws_to_azure is not None,
            )
            for w in spec.identity.workloads
            if any(ep in policies for ep in w.endpoints) or w.federation.aws_to_azure is not None
        ]
        if parts.aws_identity
        else []
    )
    if parts.aws_identity and (workloads or spec.identity.ci is not None):
        outbound = spec.identity.federation.aws_outbound
        identity = AwsIdentity(
            "aws-identity",
            AwsIdentityArgs(
                ctx=ctx,
                workloads=tuple(workloads),
                ci=spec.identity.ci,
                entra_provider=federation.entra_provider if federation else None,
                ci_federation_document=ci_federation_document(
                    ctx.partition,
                    ctx.account,
                    entra_tenant_id if federation and federation.entra_provider else None,
                    bool(outbound and outbound.manage),
                )
                if federation
                else None,
                tags=tags,
            ),
            opts,
        )
        scope.exports["aws_role_arns"] = identity.role_arns

    if access is not None:
        # The invoke target of each endpoint (its application inference profile ARN) exists only after `pulumi up`;
        # exported beside `endpoints` so the rest of the contract stays readable at preview.
        scope.exports["aws_invoke_targets"] = {n: a.invoke_target for n, a in access.endpoints.items()}
    outbound_settings = spec.identity.federation.aws_outbound
    issuer: StrInput | None = None
    if outbound_settings is not None and parts.aws_identity:
        issuer = outbound_settings.issuer or (federation.outbound_issuer if federation else None)
        if federation is not None and federation.outbound_issuer is not None:
            scope.exports["aws_outbound_issuer"] = federation.outbound_issuer
    for w in spec.identity.workloads:
        foreign = [
            r
            for r in (w.federation.aws_to_azure.roles if w.federation.aws_to_azure else [])
            if r.split(":")[4] != ctx.account
        ]
        if foreign:
            raise pulumi.RunError(
                f"Pulumi.{pulumi.get_stack()}.yaml: crosscloud:identity.workloads: {w.name}: aws_to_azure.roles "
                f"{', '.join(foreign)} are not in account {ctx.account}, whose issuer the credentials name"
            )
    outputs: dict[str, dict[str, Any]] = {
        e.name: {
            "catalog_model": e.aws.model,
            "invoke_id": e.aws.invoke_id,
            "offering": e.aws.kind,
            "region": e.aws.region,
            "runtime_endpoint": runtime_dns,
            "kind": catalog.models[e.aws.model].kind,
            # LiteLLM's `model_info.base_model` for the application inference profile (its ARN names no model).
            "base_model": f"bedrock/{e.aws.invoke_id}",
        }
        for e in declaration.endpoints
        if e.aws is not None and parts.bedrock
    }
    for route in routes if parts.aws_serving else []:
        plane, _ = serving[route.pool]
        outputs[route.endpoint] = selfhosted_output(route, plane)
    return AwsResult(
        endpoints=outputs,
        role_arns={w.name: workload_role_arn(ctx, w.name) for w in workloads},
        region=ctx.region,
        outbound_issuer=issuer,
        entra_provider_arn=federation.entra_provider_arn if federation else None,
    )


def _federation(
    declaration: Declaration,
    ctx: AwsContext,
    entra_tenant_id: str | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> AwsFederation | None:
    """The Entra tenant's OIDC provider (for Azure workloads assuming roles) and the outbound federation (if owned)."""
    identity = declaration.spec.identity
    audiences = tuple(
        w.federation.azure_to_aws.audience for w in identity.workloads if w.federation.azure_to_aws is not None
    )
    manage = identity.federation.aws_outbound is not None and identity.federation.aws_outbound.manage
    if not audiences and not manage:
        return None
    if audiences and entra_tenant_id is None:
        raise ValueError("Azure workloads assume AWS roles but no Entra tenant was resolved")
    return AwsFederation(
        "aws-federation",
        AwsFederationArgs(
            ctx=ctx,
            entra_tenant_id=entra_tenant_id if audiences else None,
            entra_audiences=audiences,
            entra_provider_arn=identity.federation.entra_oidc_provider_arn,
            manage_outbound=manage,
            tags=tags,
        ),
        opts=opts,
    )


def _entra_trust(workload: Workload, federation: AwsFederation | None, tenant_id: str | None) -> EntraTrust | None:
    inward = workload.federation.azure_to_aws
    if inward is None or federation is None or federation.entra_provider_arn is None or tenant_id is None:
        return None
    return EntraTrust(federation.entra_provider_arn, tenant_id, inward.audience, inward.principal_id)


# -- self-hosted endpoints (issue 27): vLLM on the stack's GPU reservations ----------------------------------------


def _selfhosted_endpoints(
    declaration: Declaration,
    routes: list[SelfHostedRoute],
    ctx: AwsContext,
    network: AwsNetwork | None,
    providers: dict[str, aws.Provider],
    tags: dict[str, str],
    scope: Scope,
) -> dict[str, tuple[AwsServingEndpoint, AwsNetwork]]:
    """Per pool a self-hosted route uses: its serving plane, in the stack's VPC, or for a pool outside the stack's
    Region in a VPC of its own there (no Bedrock endpoints; the interface endpoints the fleet needs)."""
    spec = declaration.spec
    assert spec.aws is not None
    serving = load_catalog().serving
    protect = spec.protect_stateful
    retention = spec.aws.network.flow_log_retention_days if spec.aws.network else 365
    planes: dict[str, tuple[AwsServingEndpoint, AwsNetwork]] = {}
    for route in routes:
        here, fleet_network, opts = ctx, network, scope.opts(_provider(providers, spec, ctx.region, scope))
        if route.own_network is not None:
            here = AwsContext(ctx.partition, route.region, ctx.account, f"{ctx.prefix}-{route.pool}")
            opts = scope.opts(_provider(providers, spec, route.region, scope))
            fleet_network = AwsNetwork(
                f"aws-serving-network-{route.pool}",
                AwsNetworkArgs(
                    ctx=here,
                    cidr=ipaddress.IPv4Network(route.own_network),
                    zones=[route.zone],
                    bedrock_endpoints=False,
                    serving_services=SERVING_SERVICES,
                    flow_log_retention_days=retention,
                    tags=tags,
                    protect=protect,
                ),
                opts=opts,
            )
        assert fleet_network is not None  # the declaration requires the stack's network otherwise
        plane = AwsServingEndpoint(
            f"aws-serving-{route.endpoint}",
            AwsServingEndpointArgs(
                ctx=here,
                route=route,
                vpc_id=fleet_network.vpc_id,
                vpc_cidr=str(route.own_network or spec.aws.network.cidr),  # type: ignore[union-attr]
                subnet_id=fleet_network.subnet_ids_by_zone[route.zone],
                client_cidrs=list(fleet_network.subnet_cidrs.values()),
                s3_prefix_list_id=fleet_network.s3_prefix_list_id,
                image_repository=serving.image.repository,
                image_digest=route.image.split("@", 1)[1],
                host_image=f"resolve:ssm:{serving.aws.ssm_parameter}",
                port=serving.port,
                health_path=serving.health_path,
                log_retention_days=retention,
                tags=tags,
                protect=protect,
            ),
            opts=opts,
        )
        planes[route.pool] = (plane, fleet_network)
    return planes


def _provider(providers: dict[str, aws.Provider], spec: Any, region: str, scope: Scope) -> aws.Provider:
    """The explicit provider of `region` (the stack's own, or the one of a GPU pool's Region), created once."""
    if region not in providers:
        providers[region] = aws_provider(f"aws-{region}", spec.aws.model_copy(update={"region": region}), scope.opts())
    return providers[region]


def _selfhosted_fleets(
    serving: dict[str, tuple[AwsServingEndpoint, AwsNetwork]],
    capacity: GpuCapacity,
    providers: dict[str, aws.Provider],
    tags: dict[str, str],
    scope: Scope,
) -> None:
    """The Auto Scaling group of each served pool, from the pool's launch template, inside its reservation."""
    for pool, (plane, fleet_network) in serving.items():
        route = plane.route
        zone = capacity.zones[pool]
        if isinstance(zone, str) and zone != route.zone:
            raise ValueError(f"pool {pool}: the reservation is in {zone}, the declaration says {route.zone}")
        template = capacity.launch_templates[pool]
        AwsServingFleet(
            f"aws-serving-{route.endpoint}-fleet",
            AwsServingFleetArgs(
                route=route,
                launch_template_id=template.id,
                launch_template_version=template.latest_version,
                reservation_id=capacity.reservation_ids[pool],
                subnet_id=fleet_network.subnet_ids_by_zone[route.zone],
                target_group_arn=plane.target_group_arn,
                tags=tags,
            ),
            opts=scope.opts(providers[plane.region]),
        )


def selfhosted_output(route: SelfHostedRoute, plane: AwsServingEndpoint) -> dict[str, Any]:
    """The endpoint contract of a self-hosted route: an OpenAI-compatible base URL and what it serves."""
    return {
        "route": "selfhosted",
        "base_url": plane.base_url,
        "model": route.served_name,
        "region": route.region,
        "zone": route.zone,
        "gpu": route.pool,
        "instance_type": route.instance_type,
        "replicas": route.replicas,
        "weights": f"{route.repository}@{route.revision}",
        "weights_store": f"s3://{plane.bucket_name}/{weights_prefix(route)}/",
        "image": f"{plane.repository_url}@{route.image.split('@', 1)[1]}",
    }
