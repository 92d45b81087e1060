"""Workload and CI identities on Azure: user-assigned managed identities, their role assignments (built-in roles by
GUID, `principalType: ServicePrincipal`), and federated identity credentials so CI signs in without a secret.

No key or secret is created or exported: callers get client IDs (public identifiers) only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field, field_validator

from crosscloud.components.azure.interfaces import role_assignments
from crosscloud.components.standard import RoleAssignment, StandardArgs, StrInput
from crosscloud.declaration.spec import ENTRA_TOKEN_EXCHANGE_AUDIENCE, MAX_FEDERATED_CREDENTIALS

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


class Grant(StandardArgs):
    """A built-in role for the identity on one scope (an account, a project, a resource group...)."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    role: str
    scope: StrInput


class FederatedCredential(StandardArgs):
    """Trust tokens from `issuer` whose `sub` claim is exactly `subject` (Entra ID matches both exactly and supports
    no wildcard in any property; issuer and subject at most 600 characters: entra-docs,
    workload-identity-federation-considerations). The issuer may be known only once a resource exists (the AWS
    account's outbound federation issuer)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")
    issuer: StrInput
    subject: str = Field(min_length=1, max_length=600)
    audience: str = ENTRA_TOKEN_EXCHANGE_AUDIENCE

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: StrInput) -> StrInput:
        if isinstance(value, str) and not re.fullmatch(r"https://[^*\s]{1,592}", value):
            raise ValueError(f"issuer {value!r} must be an https URL without wildcards, at most 600 characters")
        return value

    @field_validator("subject", "audience")
    @classmethod
    def _exact(cls, value: str) -> str:
        if "*" in value or value != value.strip():
            raise ValueError(f"{value!r}: Entra ID matches federated credentials exactly; no wildcard, no spaces")
        return value


class IdentitySpec(StandardArgs):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    grants: tuple[Grant, ...] = ()
    # Entra ID accepts at most 20 per user-assigned identity.
    federated: tuple[FederatedCredential, ...] = Field(default=(), max_length=MAX_FEDERATED_CREDENTIALS)

    @field_validator("federated")
    @classmethod
    def _unique(cls, value: tuple[FederatedCredential, ...]) -> tuple[FederatedCredential, ...]:
        names = [c.name for c in value]
        if len(set(names)) != len(names):
            raise ValueError(f"federated credential names must be unique: {names}")
        return value


class AzureIdentityArgs(StandardArgs):
    location: str
    resource_group_name: StrInput
    identities: tuple[IdentitySpec, ...]


def github_actions_credentials(
    repository: str, branch: str, environment: str | None = None
) -> tuple[FederatedCredential, ...]:
    """Runs on `branch` (deploy; or in the GitHub `environment`, whose jobs carry its subject instead) and pull
    requests (preview) of one repository; nothing else of GitHub's."""
    deploy = (
        f"repo:{repository}:environment:{environment}" if environment else f"repo:{repository}:ref:refs/heads/{branch}"
    )
    return (
        FederatedCredential(name="github-branch", issuer=GITHUB_ISSUER, subject=deploy),
        FederatedCredential(
            name="github-pull-request", issuer=GITHUB_ISSUER, subject=f"repo:{repository}:pull_request"
        ),
    )


def aws_role_credentials(issuer: StrInput, role_arns: Sequence[str]) -> tuple[FederatedCredential, ...]:
    """AWS roles that sign in as the identity: tokens from the account's outbound federation issuer whose `sub` is
    the role's ARN (what GetWebIdentityToken puts in `sub` for a role session), audience api://AzureADTokenExchange."""
    credentials = []
    for arn in role_arns:
        role = re.sub(r"[^A-Za-z0-9_-]", "-", arn.rsplit("/", 1)[-1])[:80]
        digest = hashlib.sha256(arn.encode()).hexdigest()[:10]
        credentials.append(FederatedCredential(name=f"aws-{digest}-{role}", issuer=issuer, subject=arn))
    return tuple(credentials)


class AzureIdentity(pulumi.ComponentResource):
    """One user-assigned identity per spec, with its grants and federated credentials."""

    client_ids: dict[str, pulumi.Output[str]]
    principal_ids: dict[str, pulumi.Output[str]]
    ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AzureIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:azure:Identity", name, None, opts)
        self.client_ids, self.principal_ids, self.ids = {}, {}, {}
        for spec in args.identities:
            identity = azure_native.managedidentity.UserAssignedIdentity(
                f"{name}-{spec.name}",
                resource_name_=f"id-{spec.name}",
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags={**args.tags, **spec.tags},
                opts=pulumi.ResourceOptions(parent=self),
            )
            previous: pulumi.Resource | None = None
            for credential in spec.federated:
                # Entra ID rejects concurrent federated-credential writes on one identity: one after another.
                previous = azure_native.managedidentity.FederatedIdentityCredential(
                    f"{name}-{spec.name}-{credential.name}",
                    federated_identity_credential_resource_name=credential.name,
                    resource_name_=identity.name,
                    resource_group_name=args.resource_group_name,
                    issuer=credential.issuer,
                    subject=credential.subject,
                    audiences=[credential.audience],
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous is not None else []),
                )
            for grant in spec.grants:
                role_assignments(
                    f"{name}-{spec.name}",
                    pulumi.Output.from_input(grant.scope),
                    [RoleAssignment(key=grant.key, role=grant.role, principal_id=identity.principal_id)],
                    self,
                )
            self.client_ids[spec.name] = identity.client_id
            self.principal_ids[spec.name] = identity.principal_id
            self.ids[spec.name] = identity.id
        self.register_outputs({"client_ids": self.client_ids, "principal_ids": self.principal_ids, "ids": self.ids})
