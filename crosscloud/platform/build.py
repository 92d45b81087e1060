"""Both clouds from one checked declaration: the AWS half, the Azure half, what each hands the other for
cross-cloud federation, and the endpoint contract applications use (`endpoints`, `workloads`)."""

from __future__ import annotations

from typing import Any

import pulumi

from crosscloud.components.aws.federation import (
    ENTRA_SIGNING_ALGORITHM,
    OUTBOUND_TOKEN_SECONDS,
    entra_condition_prefix,
    entra_issuer,
)
from crosscloud.components.standard import stack_tags
from crosscloud.declaration import Declaration
from crosscloud.declaration.spec import ENTRA_TOKEN_EXCHANGE_AUDIENCE
from crosscloud.platform import aws as aws_half
from crosscloud.platform import azure as azure_half
from crosscloud.platform.scope import Scope


def build(declaration: Declaration, scope: Scope) -> None:
    """Build the parts in `scope` and collect the stack outputs in `scope.exports` (the order `pulumi stack output`
    shows: each half's own outputs, then the contract)."""
    spec = declaration.spec
    parts = scope.parts
    tags = stack_tags(spec.tags, project=pulumi.get_project(), stack=pulumi.get_stack(), environment=spec.environment)
    azure_provider = azure_half.provider(spec, scope)
    tenant_id = azure_half.entra_tenant(spec, azure_provider) if parts.aws_identity or parts.azure_identity else None
    if tenant_id is None and parts.aws_identity and not parts.azure:
        tenant_id = spec.identity.federation.entra_tenant_id
    aws = aws_half.build(declaration, tags, scope, tenant_id)
    azure_endpoints = azure_half.build(declaration, tags, azure_provider, scope, aws.outbound_issuer, aws.role_arns)
    scope.exports["residency"] = declaration.residency.name
    if parts.bedrock or parts.aws_serving or parts.foundry or parts.azure_serving:
        scope.exports["endpoints"] = {
            e.name: {"primary": e.primary, "aws": aws.endpoints.get(e.name), "azure": azure_endpoints.get(e.name)}
            for e in declaration.endpoints
        }
    if parts.aws_identity or parts.azure_identity:
        scope.exports["workloads"] = workloads(declaration, aws, tenant_id)


def workloads(declaration: Declaration, aws: aws_half.AwsResult, tenant_id: str | None) -> dict[str, Any]:
    """Each workload's identities and federation, from known parts only (so the output reads at preview too): what a
    client configures to call its endpoints keylessly. Computed IDs are `azure_identity_client_ids` and
    `azure_identity_principal_ids` (key `workload-<name>`)."""
    result: dict[str, Any] = {}
    for w in declaration.spec.identity.workloads:
        role = aws.role_arns.get(w.name)
        inward, outward = w.federation.azure_to_aws, w.federation.aws_to_azure
        result[w.name] = {
            "endpoints": list(w.endpoints),
            "aws": {"role_arn": role, "region": aws.region} if role else None,
            "azure": {"identity": f"id-workload-{w.name}", "tenant_id": tenant_id}
            if declaration.spec.azure is not None
            else None,
            # Azure -> AWS: request an Entra token for `audience`, then AssumeRoleWithWebIdentity on `role_arn`.
            "azure_to_aws": {
                "issuer": entra_issuer(tenant_id),
                "audience": inward.audience,
                "subject": inward.principal_id,
                "condition_keys": [
                    f"{entra_condition_prefix(tenant_id)}:aud",
                    f"{entra_condition_prefix(tenant_id)}:sub",
                ],
                "provider_arn": aws.entra_provider_arn,
                "role_arn": role,
            }
            if inward is not None and tenant_id is not None
            else None,
            # AWS -> Azure: GetWebIdentityToken (regional STS, RS256) for `audience`, then Entra's client-assertion
            # exchange for the identity's client ID in `tenant_id`. The issuer is `aws_outbound_issuer` (or declared).
            "aws_to_azure": {
                "audience": ENTRA_TOKEN_EXCHANGE_AUDIENCE,
                "subjects": [role, *outward.roles],
                "signing_algorithm": ENTRA_SIGNING_ALGORITHM,
                "max_token_seconds": OUTBOUND_TOKEN_SECONDS,
                "sts_endpoint": f"https://sts.{aws.region}.amazonaws.com",
                "tenant_id": tenant_id,
            }
            if outward is not None and role is not None
            else None,
        }
    return result
