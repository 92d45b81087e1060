"""AWS identities of a stack: workload roles and keyless CI. No IAM users and no access keys, by construction.

- Workload roles trust only the declared principals and carry only the Bedrock policies of their endpoints. A
  federated workload's role also trusts exactly one Entra managed identity (audience and subject pinned), and may
  mint outbound identity tokens for Entra ID only (crosscloud/components/aws/federation.py).
- GitHub Actions federates through the account's OIDC provider for token.actions.githubusercontent.com (audience
  sts.amazonaws.com). Two roles: `ci-preview` (ReadOnlyAccess) for pull requests, subject
  `repo:<owner>/<repo>:pull_request`; `ci-deploy` (PowerUserAccess plus IAM limited to crosscloud's own roles and
  policies) for the declared branch, subject `repo:<owner>/<repo>:ref:refs/heads/<branch>`, or for the declared
  GitHub environment, subject `repo:<owner>/<repo>:environment:<name>`. Both conditions are
  StringEquals, never StringLike (GitHub docs, "Configuring OpenID Connect in Amazon Web Services", and IAM user
  guide, id_roles_providers_create_oidc, read 2026-11-23).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.documents import (
    GITHUB_AUDIENCE,
    GITHUB_OIDC_HOST,
    IAM_PATH,
    VERSION,
    Document,
    ci_deploy_iam_document,
    github_trust_document,
    workload_trust_document,
)
from crosscloud.components.aws.federation import entra_token_document, entra_trust_statement
from crosscloud.components.standard import StandardArgs
from crosscloud.declaration.spec import GithubCi


@dataclass(frozen=True)
class EntraTrust:
    """An Azure managed identity that may assume the role: Entra ID tokens of `tenant_id` through the account's
    provider `provider_arn`, with exactly this audience and subject (the identity's principal ID)."""

    provider_arn: str
    tenant_id: str
    audience: str
    principal_id: str


@dataclass(frozen=True)
class WorkloadAccess:
    """A workload role to create: who may assume it and which policies (its endpoints') it carries."""

    name: str
    services: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    policy_arns: list[pulumi.Output[str]] = field(default_factory=list)
    entra: EntraTrust | None = None
    # The role may mint outbound identity tokens for Entra ID (it signs in as the workload's Azure identity).
    entra_tokens: bool = False


class AwsIdentityArgs(StandardArgs):
    ctx: AwsContext
    workloads: tuple[WorkloadAccess, ...] = ()
    ci: GithubCi | None = None
    # The Entra OIDC provider, when this stack creates it: roles trusting it are created after it.
    entra_provider: pulumi.Resource | None = None
    # What the deploy role needs to manage the stack's federation (the Entra provider, outbound federation).
    ci_federation_document: dict[str, Any] | None = None


def workload_role_name(ctx: AwsContext, workload: str) -> str:
    return f"{ctx.prefix}-{workload}"


def workload_role_arn(ctx: AwsContext, workload: str) -> str:
    """The role's ARN as IAM reports it (path included), known before the role exists."""
    return f"arn:{ctx.partition}:iam::{ctx.account}:role{IAM_PATH}{workload_role_name(ctx, workload)}"


def workload_trust(workload: WorkloadAccess) -> Document:
    """The declared AWS principals and, for a federated workload, exactly one Entra identity."""
    statements: list[dict[str, Any]] = []
    if workload.services or workload.roles:
        statements += workload_trust_document(workload.services, workload.roles)["Statement"]
    if workload.entra is not None:
        e = workload.entra
        statements.append(entra_trust_statement(e.provider_arn, e.tenant_id, e.audience, e.principal_id))
    if not statements:
        raise ValueError(f"workload {workload.name}: a role needs at least one principal to trust")
    return {"Version": VERSION, "Statement": statements}


def github_subjects(ci: GithubCi) -> dict[str, str]:
    """The exact `sub` claim of each CI role (GitHub OIDC subject formats)."""
    repo = ci.github_repository
    # A job that names a GitHub environment gets the environment's subject, not the branch's (GitHub OIDC docs).
    deploy = (
        f"repo:{repo}:environment:{ci.environment}" if ci.environment else f"repo:{repo}:ref:refs/heads/{ci.branch}"
    )
    return {"ci-preview": f"repo:{repo}:pull_request", "ci-deploy": deploy}


class AwsIdentity(pulumi.ComponentResource):
    """Workload roles, the GitHub OIDC provider and the two CI roles."""

    role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AwsIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:Identity", name, None, opts)
        ctx, tags = args.ctx, dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        self.role_arns = {}
        for workload in args.workloads:
            trusts_entra = workload.entra is not None and args.entra_provider is not None
            role = aws.iam.Role(
                f"{name}-{workload.name}",
                name=workload_role_name(ctx, workload.name),
                path=IAM_PATH,
                description=f"crosscloud workload {workload.name}",
                assume_role_policy=json.dumps(workload_trust(workload)),
                max_session_duration=3600,
                tags={**tags, "crosscloud-workload": workload.name},
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[args.entra_provider] if trusts_entra and args.entra_provider else []
                ),
            )
            for i, policy_arn in enumerate(workload.policy_arns):
                aws.iam.RolePolicyAttachment(
                    f"{name}-{workload.name}-policy-{i}", role=role.name, policy_arn=policy_arn, opts=child
                )
            if workload.entra_tokens:
                aws.iam.RolePolicy(
                    f"{name}-{workload.name}-entra-tokens",
                    name="entra-tokens",
                    role=role.id,
                    policy=json.dumps(entra_token_document()),
                    opts=child,
                )
            self.role_arns[workload.name] = role.arn

        if args.ci is not None:
            self._ci(name, ctx, args.ci, tags, child, args.ci_federation_document)
        self.register_outputs({"role_arns": self.role_arns})

    def _ci(
        self,
        name: str,
        ctx: AwsContext,
        ci: GithubCi,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions,
        federation_document: dict[str, Any] | None,
    ) -> None:
        # The provider ARN is fixed by account and URL, so trust policies name it before it exists.
        provider_arn = (
            ci.oidc_provider_arn or f"arn:{ctx.partition}:iam::{ctx.account}:oidc-provider/{GITHUB_OIDC_HOST}"
        )
        depends: list[pulumi.Resource] = []
        if ci.oidc_provider_arn is None:
            depends.append(
                aws.iam.OpenIdConnectProvider(
                    f"{name}-github-oidc",
                    url=f"https://{GITHUB_OIDC_HOST}",
                    client_id_lists=[GITHUB_AUDIENCE],
                    tags=tags,
                    opts=opts,
                )
            )
        managed = {
            "ci-preview": [f"arn:{ctx.partition}:iam::aws:policy/ReadOnlyAccess"],
            "ci-deploy": [f"arn:{ctx.partition}:iam::aws:policy/PowerUserAccess"],
        }
        for role_name, subject in github_subjects(ci).items():
            role = aws.iam.Role(
                f"{name}-{role_name}",
                name=f"{ctx.prefix}-{role_name}",
                path=IAM_PATH,
                description=f"GitHub Actions {ci.github_repository}: {subject}",
                assume_role_policy=json.dumps(github_trust_document(provider_arn, subject)),
                max_session_duration=3600,
                tags={**tags, "crosscloud-ci": role_name},
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
            )
            for arn in managed[role_name]:
                aws.iam.RolePolicyAttachment(
                    f"{name}-{role_name}-{arn.rsplit('/', 1)[1]}", role=role.name, policy_arn=arn, opts=opts
                )
            if role_name == "ci-deploy":
                aws.iam.RolePolicy(
                    f"{name}-{role_name}-iam",
                    role=role.id,
                    policy=json.dumps(ci_deploy_iam_document(ctx.partition, ctx.account)),
                    opts=opts,
                )
                if federation_document is not None:
                    aws.iam.RolePolicy(
                        f"{name}-{role_name}-federation",
                        role=role.id,
                        policy=json.dumps(federation_document),
                        opts=opts,
                    )
            self.role_arns[role_name] = role.arn
