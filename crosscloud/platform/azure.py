"""The Azure half of the platform: every Azure component the declaration asks for (the parts in scope).

Returns, per logical endpoint, what applications need to call it on Azure (the stack output `endpoints.<name>.azure`):
the endpoint URL, the deployment or serverless-endpoint name, the route, the SKU and the processing class.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
import pulumi_azure_native as azure_native

from crosscloud.catalog import load_catalog
from crosscloud.components.azure import (
    AzureFoundry,
    AzureFoundryArgs,
    AzureGpuCapacity,
    AzureGpuCapacityArgs,
    AzureIdentity,
    AzureIdentityArgs,
    AzureMonitoring,
    AzureMonitoringArgs,
    AzureNetwork,
    AzureNetworkArgs,
    AzureServerless,
    AzureServerlessArgs,
    FoundryDeployment,
    Grant,
    IdentitySpec,
    ServerlessModel,
)
from crosscloud.components.azure.foundry import unique_subdomain
from crosscloud.components.azure.identity import FederatedCredential, aws_role_credentials, github_actions_credentials
from crosscloud.components.azure.serverless import ENDPOINT_SKU
from crosscloud.components.azure.serving import AzureServing, AzureServingArgs, frontend_address
from crosscloud.components.providers import azure_provider
from crosscloud.components.serving_host import weights_prefix
from crosscloud.components.standard import CustomerManagedKey, Diagnostics, PrivateEndpoint, StrInput
from crosscloud.declaration import Declaration, ResolvedEndpoint
from crosscloud.declaration.checks import azure_spillover
from crosscloud.declaration.selfhosted import SelfHostedRoute
from crosscloud.declaration.spec import (
    APPROVAL_TAG,
    FOUNDRY_DNS_ZONES,
    GPU_ENDS_TAG,
    ML_DNS_ZONES,
    SERVING_DNS_ZONES,
    AzureSettings,
    PlatformSpec,
)
from crosscloud.platform.scope import Scope

OPENAI_FORMAT = "OpenAI"
# The Entra ID scope of a token for Foundry's data plane (Azure OpenAI and Foundry Models inference:
# learn.microsoft.com, ai-foundry configure-entra-id, read 2026-12).
FOUNDRY_TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"  # noqa: S105 - a scope, not a secret
# For a serverless API endpoint in a hub/project (Azure Machine Learning): the Machine Learning audience, as for
# online endpoints' Entra tokens (how-to-authenticate-online-endpoint). UNCONFIRMED for serverless endpoints: no
# primary source read states their audience; a wrong scope fails closed (401).
SERVERLESS_TOKEN_SCOPE = "https://ml.azure.com/.default"  # noqa: S105 - a scope, not a secret


def _digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def provider(spec: PlatformSpec, scope: Scope) -> azure_native.Provider | None:
    """The stack's explicit Azure provider (created before either half, so the AWS half can read the tenant)."""
    if spec.azure is None or not scope.parts.azure:
        return None
    return azure_provider(f"azure-{spec.azure.location}", spec.azure, scope.opts())


def entra_tenant(spec: PlatformSpec, azure: azure_native.Provider | None) -> str | None:
    """The Entra tenant federation trusts: declared, else the tenant of the Azure provider's credentials (an invoke,
    answered at preview too, so trust policies built from it are known documents). None without federation."""
    workloads = spec.identity.workloads
    if not any(w.federation.azure_to_aws or w.federation.aws_to_azure for w in workloads) or azure is None:
        return None
    if spec.identity.federation.entra_tenant_id is not None:
        return spec.identity.federation.entra_tenant_id
    config = azure_native.authorization.get_client_config(opts=pulumi.InvokeOptions(provider=azure))
    return str(config.tenant_id)


def build(
    declaration: Declaration,
    tags: dict[str, str],
    provider: azure_native.Provider | None,
    scope: Scope,
    outbound_issuer: StrInput | None = None,
    aws_role_arns: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """`outbound_issuer` and `aws_role_arns`: the AWS account's outbound federation issuer and the workload roles,
    for the federated credentials of workloads that sign in from AWS."""
    spec = declaration.spec
    parts = scope.parts
    if spec.azure is None or provider is None:
        return {}
    settings = spec.azure
    project, stack = pulumi.get_project(), pulumi.get_stack()
    prod = spec.protect_stateful
    opts = scope.opts(provider)
    rg_name = settings.resource_group or f"rg-{project}-{stack}"
    served = [e for e in declaration.endpoints if e.azure is not None]
    deployed = [e for e in served if e.azure is not None and e.azure.route == "deployment"]
    serverless = [e for e in served if e.azure is not None and e.azure.route == "serverless"]
    routes = [e.azure_selfhosted for e in declaration.endpoints if e.azure_selfhosted is not None]

    # -- network, DNS ------------------------------------------------------------------------------------------
    network: AzureNetwork | None = None
    if settings.network is not None:
        dns = settings.network.dns
        network = AzureNetwork(
            "azure-network",
            AzureNetworkArgs(
                location=settings.location,
                cidr=settings.network.cidr,
                resource_group_name=rg_name,
                protect=prod,
                agent_subnet=settings.network.agent_subnet,
                dns_mode=dns.mode,
                dns_zones=FOUNDRY_DNS_ZONES
                + (ML_DNS_ZONES if serverless else ())
                + (SERVING_DNS_ZONES if routes else ()),
                existing_zone_ids={str(k): v for k, v in dns.zone_ids.items()},
                tags=tags,
            ),
            opts=opts,
        )
        rg_id: pulumi.Output[str] = network.resource_group_id
        rg: StrInput = network.resource_group_name
        scope.exports["azure_resource_group"] = network.resource_group_name
        scope.exports["azure_vnet_id"] = network.vnet_id
    else:
        group = azure_native.resources.ResourceGroup(
            "azure-rg",
            resource_group_name=rg_name,
            location=settings.location,
            tags=tags,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=prod)),
        )
        rg_id, rg = group.id, group.name
        scope.exports["azure_resource_group"] = group.name

    def endpoint_for(zones: tuple[str, ...]) -> PrivateEndpoint | None:
        if network is None:
            return None
        return PrivateEndpoint(
            subnet_id=network.subnet_ids["private-endpoints"],
            dns_zone_ids={z: network.dns_zone_ids[z] for z in zones if z in network.dns_zone_ids},
        )

    # -- diagnostics ---------------------------------------------------------------------------------------------
    if settings.diagnostics.workspace_id is not None or not parts.azure_monitoring:
        workspace_id: StrInput = settings.diagnostics.workspace_id or ""
    else:
        workspace_id = AzureMonitoring(
            "azure-monitoring",
            AzureMonitoringArgs(
                location=settings.location,
                resource_group_name=rg,
                workspace_name=f"log-{project}-{stack}-{_digest(project, stack, rg_name, length=6)}",
                retention_days=settings.diagnostics.retention_days,
                protect=prod,
                tags=tags,
            ),
            opts=opts,
        ).workspace_id
    diagnostics = Diagnostics(workspace_id=workspace_id)

    # -- Foundry account, projects, deployments -------------------------------------------------------------------
    foundry: AzureFoundry | None = None
    if deployed and parts.foundry:
        cmk = _cmk(settings, rg, tags, opts)
        catalog = load_catalog()
        deployments = []
        choices = {c.name: c.azure for c in declaration.spec.endpoints}
        for e in deployed:
            offer, capacity = e.azure, e.azure_capacity or 1
            choice = choices[e.name]
            approval = choice.throughput.approved_by if choice is not None else None
            assert offer is not None and offer.sku is not None
            spill = azure_spillover(catalog, offer, declaration.residency) if offer.provisioned else None
            deployments.append(
                FoundryDeployment(
                    name=e.name,
                    model_format=offer.format,
                    model_name=offer.name,
                    model_version=offer.version,
                    sku=offer.sku,
                    capacity=capacity,
                    processing=offer.processing,
                    provisioned=offer.provisioned,
                    spillover_sku=spill.sku if spill is not None else None,
                    spillover_capacity=capacity if spill is not None else None,
                    tags={APPROVAL_TAG: approval} if approval and offer.provisioned else {},
                )
            )
        foundry = AzureFoundry(
            "azure-foundry",
            AzureFoundryArgs(
                location=settings.location,
                resource_group_name=rg,
                custom_subdomain=unique_subdomain(project, stack, settings.subscription_id or "", rg_name),
                projects=tuple(settings.foundry.projects),
                public_network_access=settings.foundry.public_network_access,
                pin_model_versions=prod,
                content_filter=settings.foundry.content_filter,
                deployments=tuple(deployments),
                cmk=cmk,
                agent_subnet_id=network.subnet_ids.get("agents") if network is not None else None,
                private_endpoint=endpoint_for(FOUNDRY_DNS_ZONES),
                diagnostics=diagnostics,
                protect=prod,
                tags=tags,
            ),
            opts=opts,
        )

    # -- serverless API endpoints: one hub/project per region ----------------------------------------------------
    hubs: dict[str, AzureServerless] = {}
    tenant_id: pulumi.Output[str] | None = None
    by_region: dict[str, list[ResolvedEndpoint]] = defaultdict(list)
    for e in serverless:
        assert e.azure is not None
        by_region[e.azure.region].append(e)
    for region, endpoints in sorted(by_region.items()) if parts.foundry else []:
        if tenant_id is None:
            config = azure_native.authorization.get_client_config_output(opts=pulumi.InvokeOptions(provider=provider))
            tenant_id = config.tenant_id
        digest = _digest(project, stack, rg_name, region, length=16)
        hubs[region] = AzureServerless(
            f"azure-serverless-{region}",
            AzureServerlessArgs(
                location=region,
                network_location=settings.location,
                resource_group_name=rg,
                tenant_id=tenant_id,
                hub_name=f"hub-{stack}-{digest[:8]}",
                project_name=f"proj-{stack}-{digest[:8]}",
                storage_account_name=f"st{digest}",
                key_vault_name=f"kv-{digest}",
                public_network_access=settings.foundry.public_network_access,
                models=tuple(_serverless_model(e, project, stack) for e in endpoints),
                private_endpoint=endpoint_for(ML_DNS_ZONES),
                diagnostics=diagnostics,
                protect=prod,
                tags=tags,
            ),
            opts=opts,
        )

    # -- GPU capacity ------------------------------------------------------------------------------------------
    groups: dict[str, pulumi.Output[str]] = {}
    for gpu in spec.gpu:
        if gpu.cloud != "azure" or not parts.azure_gpu:
            continue
        kind: Literal["targeted", "block"] = "block" if gpu.reservation_type == "block" else "targeted"
        groups[gpu.name] = AzureGpuCapacity(
            f"azure-gpu-{gpu.name}",
            AzureGpuCapacityArgs(
                location=gpu.region or settings.location,
                resource_group_name=rg,
                vm_size=gpu.instance_type,
                count=gpu.count,
                reservation=kind,
                zone=gpu.zone if kind == "targeted" else None,  # type: ignore[arg-type]
                starts=gpu.starts,
                ends=gpu.ends,
                protect=prod,
                tags={**tags, **gpu.approval_tags, GPU_ENDS_TAG: gpu.ends.isoformat()},
            ),
            opts=opts,
        ).group_id
    fleets = (
        _selfhosted(routes, network, groups, workspace_id, rg, rg_name, tags, prod, opts) if parts.azure_serving else {}
    )

    # -- identities --------------------------------------------------------------------------------------------
    names = {e.name: e for e in served}
    identities: list[IdentitySpec] = []
    for workload in spec.identity.workloads if parts.azure_identity else []:
        grants = _grants([names[n] for n in workload.endpoints if n in names], foundry, hubs)
        federated: tuple[FederatedCredential, ...] = ()
        outward = workload.federation.aws_to_azure
        if outward is not None:
            if outbound_issuer is None or aws_role_arns is None or workload.name not in aws_role_arns:
                raise pulumi.RunError(f"workload {workload.name} signs in from AWS but the AWS half built no role")
            subjects = [aws_role_arns[workload.name], *outward.roles]
            federated = aws_role_credentials(outbound_issuer, subjects)
        identities.append(IdentitySpec(name=f"workload-{workload.name}", grants=grants, federated=federated))
    if spec.identity.ci is not None and parts.azure_identity:
        ci = spec.identity.ci
        identities.append(
            IdentitySpec(
                name="ci",
                # Preview reads every resource of the stack; deployments run under a separately approved principal.
                grants=(Grant(key="reader", role="Reader", scope=rg_id),),
                federated=github_actions_credentials(ci.github_repository, ci.branch, ci.environment),
            )
        )
    declared = {
        f"workload-{w.name}": w.federation.azure_to_aws.principal_id
        for w in spec.identity.workloads
        if w.federation.azure_to_aws is not None
    }
    if identities:
        identity = AzureIdentity(
            "azure-identity",
            AzureIdentityArgs(
                location=settings.location, resource_group_name=rg, identities=tuple(identities), tags=tags
            ),
            opts=opts,
        )
        scope.exports["azure_identity_client_ids"] = identity.client_ids
        scope.exports["azure_identity_principal_ids"] = {
            key: _checked_principal(key, principal, declared.get(key))
            for key, principal in identity.principal_ids.items()
        }

    outputs = {e.name: _endpoint_output(e, foundry, hubs) for e in served if parts.foundry}
    outputs |= {
        route.endpoint: selfhosted_output(route, fleets[route.endpoint]) for route in routes if route.endpoint in fleets
    }
    return outputs


# -- self-hosted endpoints (issue 27): vLLM on the stack's capacity reservations ------------------------------------


def _selfhosted(
    routes: list[SelfHostedRoute],
    network: AzureNetwork | None,
    groups: dict[str, pulumi.Output[str]],
    workspace_id: StrInput,
    rg: StrInput,
    rg_name: str,
    tags: dict[str, str],
    prod: bool,
    opts: pulumi.ResourceOptions,
) -> dict[str, AzureServing]:
    """One scale set per self-hosted route, in the workloads subnet, bound to its pool's reservation group."""
    if not routes:
        return {}
    assert network is not None  # the declaration requires the stack's VNet for a self-hosted route
    serving = load_catalog().serving
    project, stack = pulumi.get_project(), pulumi.get_stack()
    fleets = {}
    for index, route in enumerate(routes):
        digest = _digest(project, stack, rg_name, route.endpoint, length=21)
        fleets[route.endpoint] = AzureServing(
            f"azure-serving-{route.endpoint}",
            AzureServingArgs(
                location=route.region,
                resource_group_name=rg,
                route=route,
                workloads_subnet_id=network.subnet_ids["workloads"],
                frontend_ip=frontend_address(network.subnet_prefixes["workloads"], index),
                capacity_reservation_group_id=groups[route.pool],
                storage_account_name=f"stw{digest}",
                registry_name=f"acr{digest[:16]}",
                storage_endpoint=_serving_endpoint(network, "privatelink.blob.core.windows.net"),
                registry_endpoint=_serving_endpoint(network, "privatelink.azurecr.io"),
                workspace_id=workspace_id,
                image_repository=serving.image.repository,
                image_digest=route.image.split("@", 1)[1],
                host_image=(serving.azure.publisher, serving.azure.offer, serving.azure.sku, serving.azure.version),
                port=serving.port,
                health_path=serving.health_path,
                protect=prod,
                tags=tags,
            ),
            opts=opts,
        )
    return fleets


def _serving_endpoint(network: AzureNetwork, zone: str) -> PrivateEndpoint:
    ids: dict[str, StrInput] = {zone: network.dns_zone_ids[zone]} if zone in network.dns_zone_ids else {}
    return PrivateEndpoint(subnet_id=network.subnet_ids["private-endpoints"], dns_zone_ids=ids)


def selfhosted_output(route: SelfHostedRoute, fleet: AzureServing) -> dict[str, Any]:
    """The endpoint contract of a self-hosted route: an OpenAI-compatible base URL and what it serves."""
    return {
        "route": "selfhosted",
        "base_url": fleet.base_url,
        "model": route.served_name,
        "location": route.region,
        "zone": route.zone,
        "gpu": route.pool,
        "instance_type": route.instance_type,
        "replicas": route.replicas,
        "weights": f"{route.repository}@{route.revision}",
        "weights_store": f"{fleet.weights_url}/{weights_prefix(route)}/",
        "image": f"{fleet.registry_login_server}/{fleet.image_repository}@{route.image.split('@', 1)[1]}",
    }


def _checked_principal(key: str, principal: pulumi.Output[str], declared: str | None) -> pulumi.Output[str]:
    """The identity's principal ID; for a workload that assumes an AWS role, checked against the declared one the
    role's trust policy pins, so `pulumi up` (and any preview that knows the identity) stops on a mismatch."""
    if declared is None:
        return principal

    def check(actual: str) -> str:
        if actual and actual != declared:
            raise pulumi.RunError(
                f"Pulumi.{pulumi.get_stack()}.yaml: crosscloud:identity.workloads: id-{key} has principal ID "
                f"{actual}, but federation.azure_to_aws.principal_id is {declared}: the AWS role would trust another "
                "identity; set principal_id to the identity's"
            )
        return actual

    return principal.apply(check)


def _serverless_model(e: ResolvedEndpoint, project: str, stack: str) -> ServerlessModel:
    offer = e.azure
    assert offer is not None and offer.route == "serverless"
    if offer.serverless_model_id is None:
        raise pulumi.RunError(f"the catalog gives {offer.model} no serverless model ID (endpoint {e.name})")
    return ServerlessModel(
        key=e.name,
        # Serverless endpoint names are unique per region: suffix the logical name with this stack's digest.
        endpoint_name=f"{e.name[:23]}-{_digest(project, stack, e.name, length=8)}",
        model_id=offer.serverless_model_id,
        marketplace=offer.marketplace,
    )


def _cmk(
    settings: AzureSettings, rg: StrInput, tags: dict[str, str], opts: pulumi.ResourceOptions
) -> CustomerManagedKey | None:
    cmk = settings.foundry.cmk
    if cmk is None:
        return None
    identity = AzureIdentity(
        "azure-cmk-identity",
        AzureIdentityArgs(
            location=settings.location,
            resource_group_name=rg,
            identities=(IdentitySpec(name="foundry-cmk"),),
            tags=tags,
        ),
        opts=opts,
    )
    vault = cmk.key_vault_id.rsplit("/", 1)[-1]
    return CustomerManagedKey(
        key_vault_id=cmk.key_vault_id,
        key_vault_uri=f"https://{vault}.vault.azure.net/",
        key_name=cmk.key_name,
        key_version=cmk.key_version,
        identity_id=identity.ids["foundry-cmk"],
        identity_client_id=identity.client_ids["foundry-cmk"],
        identity_principal_id=identity.principal_ids["foundry-cmk"],
    )


def _grants(
    endpoints: list[ResolvedEndpoint], foundry: AzureFoundry | None, hubs: dict[str, AzureServerless]
) -> tuple[Grant, ...]:
    """Least privilege per route: inference on the account (and the first project) or on the serverless project."""
    grants: dict[str, Grant] = {}
    for e in endpoints:
        offer = e.azure
        if offer is None:
            continue
        if offer.route == "serverless":
            hub = hubs[offer.region]
            key = f"ai-developer-{offer.region}"
            grants[key] = Grant(key=key, role="Azure AI Developer", scope=hub.project_id)
        elif foundry is not None:
            if offer.format == OPENAI_FORMAT:
                grants["openai-user"] = Grant(
                    key="openai-user", role="Cognitive Services OpenAI User", scope=foundry.account_id
                )
            else:
                grants["cognitive-user"] = Grant(
                    key="cognitive-user", role="Cognitive Services User", scope=foundry.account_id
                )
            first_project = next(iter(foundry.project_ids.values()))
            grants["ai-user"] = Grant(key="ai-user", role="Azure AI User", scope=first_project)
    return tuple(grants[k] for k in sorted(grants))


def _endpoint_output(
    e: ResolvedEndpoint, foundry: AzureFoundry | None, hubs: dict[str, AzureServerless]
) -> dict[str, Any]:
    offer = e.azure
    assert offer is not None
    common = {
        "catalog_model": offer.model,
        "model": offer.name,
        "version": offer.version,
        "format": offer.format,
        "kind": load_catalog().models[offer.model].kind,
        "location": offer.region,
        "processing": offer.processing,
        "route": offer.route,
    }
    if offer.route == "serverless":
        hub = hubs[offer.region]
        url = hub.endpoint_uris[e.name]
        return {
            **common,
            "sku": ENDPOINT_SKU,
            "name": hub.endpoint_names[e.name],
            "url": url,
            "api_base": url,
            "token_scope": SERVERLESS_TOKEN_SCOPE,
        }
    assert foundry is not None
    subdomain = foundry.endpoint.removeprefix("https://").split(".", 1)[0]
    openai = offer.format == OPENAI_FORMAT
    deployment_url = (
        f"https://{subdomain}.openai.azure.com/openai/deployments/{e.name}"
        if openai
        else f"https://{subdomain}.services.ai.azure.com/models"
    )
    return {
        **common,
        "sku": offer.sku,
        "name": foundry.deployment_names[e.name],
        "url": deployment_url,
        # What a client (LiteLLM's azure/ or azure_ai/ provider) takes as its base URL.
        "api_base": f"https://{subdomain}.openai.azure.com/"
        if openai
        else f"https://{subdomain}.services.ai.azure.com",
        "token_scope": FOUNDRY_TOKEN_SCOPE,
    }
