"""The crosscloud program: one declaration (Pulumi.<stack>.yaml) -> components on AWS and Azure.

Runs unchanged under `pulumi up` and under crosscloud's offline engine (`crosscloud preview`). Each cloud's half lives
in its own module (`aws_platform.py`, `azure_platform.py`); this file reads the declaration, hands each half what the
other built for cross-cloud federation, and assembles the stack outputs that applications use.
"""

from __future__ import annotations

from typing import Any

import aws_platform
import azure_platform
import pulumi

from crosscloud.components.aws.federation import (
    ENTRA_SIGNING_ALGORITHM,
    OUTBOUND_TOKEN_SECONDS,
    entra_condition_prefix,
    entra_issuer,
)
from crosscloud.components.declaration import load_from_pulumi
from crosscloud.components.standard import stack_tags
from crosscloud.declaration import Declaration
from crosscloud.declaration.spec import ENTRA_TOKEN_EXCHANGE_AUDIENCE

declaration = load_from_pulumi()
spec = declaration.spec
tags = stack_tags(spec.tags, project=pulumi.get_project(), stack=pulumi.get_stack(), environment=spec.environment)

azure_provider = azure_platform.provider(spec)
tenant_id = azure_platform.entra_tenant(spec, azure_provider)
aws = aws_platform.build(declaration, tags, tenant_id)
azure_endpoints = azure_platform.build(declaration, tags, azure_provider, aws.outbound_issuer, aws.role_arns)


def workloads(declaration: Declaration, aws: aws_platform.AwsResult, tenant_id: str | None) -> dict[str, Any]:
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


# What each logical endpoint resolves to on each cloud under the stack's residency: the contract applications use
# (with `workloads`, `aws_invoke_targets` and the identity IDs; `crosscloud endpoints` renders it for LiteLLM).
pulumi.export("residency", declaration.residency.name)
pulumi.export(
    "endpoints",
    {
        e.name: {"primary": e.primary, "aws": aws.endpoints.get(e.name), "azure": azure_endpoints.get(e.name)}
        for e in declaration.endpoints
    },
)
pulumi.export("workloads", workloads(declaration, aws, tenant_id))
