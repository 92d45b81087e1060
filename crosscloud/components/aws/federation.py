"""Keyless identity across clouds, the AWS side: trusting Entra ID tokens, and issuing tokens Entra ID trusts.

Azure workload -> AWS: an IAM OIDC provider for the Entra tenant. Entra issues v1.0 access tokens unless the target
app registration sets `accessTokenAcceptedVersion: 2`, and a v1.0 token's `iss` is `https://sts.windows.net/<tenant>/`
with the trailing slash (entra-docs access-tokens.md, "Access tokens in the Microsoft identity platform"). The client
ID list holds the audiences workloads request (an app ID URI or client ID; at most 100 per provider, IAM API
CreateOpenIDConnectProvider); no thumbprint (IAM verifies the JWKS endpoint's certificate against its trusted CAs).
A workload role trusts it only for `sts.windows.net/<tenant>/:aud` and `:sub` by StringEquals (IAM user guide,
"Available keys for AWS OIDC federation").

AWS workload -> Azure: IAM outbound identity federation (`aws.iam.OutboundWebIdentityFederation`, pulumi-aws 7.51.1:
no inputs, output `issuer_identifier`; creating it enables the account-wide feature and deleting it disables it), and
on the role `sts:GetWebIdentityToken` for Entra's audience only, RS256 only (Entra accepts only RS256-signed tokens,
entra-docs workload-identity-federation-considerations), short-lived. Condition keys `sts:IdentityTokenAudience`
(multi-valued: ForAllValues plus a Null guard), `sts:SigningAlgorithm`, `sts:DurationSeconds` (Microsoft Learn
"Use an AWS workload identity with Microsoft Entra Agent ID"; IAM user guide, outbound federation, read 2026-12).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.documents import VERSION, Document
from crosscloud.components.standard import StandardArgs
from crosscloud.declaration.spec import ENTRA_TOKEN_EXCHANGE_AUDIENCE

ENTRA_V1_ISSUER_HOST = "sts.windows.net"
# What an outbound token may be signed with for Entra, and how long it may live (GetWebIdentityToken's default; the
# token only proves identity once, for the exchange).
ENTRA_SIGNING_ALGORITHM = "RS256"
OUTBOUND_TOKEN_SECONDS = 300
MAX_CLIENT_IDS = 100


def entra_issuer(tenant_id: str) -> str:
    """The `iss` of an Entra ID v1.0 access token: trailing slash included."""
    return f"https://{ENTRA_V1_ISSUER_HOST}/{tenant_id}/"


def entra_condition_prefix(tenant_id: str) -> str:
    """The provider URL without `https://`: the prefix of its IAM condition keys (`<prefix>:aud`, `<prefix>:sub`)."""
    return entra_issuer(tenant_id).removeprefix("https://")


def entra_provider_arn(partition: str, account: str, tenant_id: str) -> str:
    """The IAM OIDC provider's ARN, fixed by account and URL, so trust policies name it before it exists."""
    return f"arn:{partition}:iam::{account}:oidc-provider/{entra_condition_prefix(tenant_id)}"


def entra_trust_statement(provider_arn: str, tenant_id: str, audience: str, principal_id: str) -> dict[str, Any]:
    """Trust Entra ID tokens of one tenant whose audience and subject (the managed identity's principal ID) are
    exactly these: StringEquals, never StringLike."""
    prefix = entra_condition_prefix(tenant_id)
    return {
        "Sid": "EntraWorkloadIdentity",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{prefix}:aud": audience, f"{prefix}:sub": principal_id}},
    }


def entra_token_document() -> Document:
    """Mint outbound identity tokens for Entra ID only: its audience alone, RS256, at most five minutes."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "EntraTokensOnly",
                "Effect": "Allow",
                "Action": "sts:GetWebIdentityToken",
                "Resource": "*",
                "Condition": {
                    "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": [ENTRA_TOKEN_EXCHANGE_AUDIENCE]},
                    "Null": {"sts:IdentityTokenAudience": "false"},
                    "StringEquals": {"sts:SigningAlgorithm": ENTRA_SIGNING_ALGORITHM},
                    "NumericLessThanEquals": {"sts:DurationSeconds": str(OUTBOUND_TOKEN_SECONDS)},
                },
            }
        ],
    }


def ci_federation_document(partition: str, account: str, tenant_id: str | None, manage_outbound: bool) -> Document:
    """What the CI deploy role may do for the stack's federation: manage the Entra tenant's OIDC provider and enable
    (never disable) the account's outbound identity federation."""
    statements: list[dict[str, Any]] = []
    if tenant_id is not None:
        statements.append(
            {
                "Sid": "ManageEntraOidcProvider",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
                    "iam:GetOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                    "iam:UntagOpenIDConnectProvider", "iam:AddClientIDToOpenIDConnectProvider",
                    "iam:RemoveClientIDFromOpenIDConnectProvider",
                ],
                "Resource": entra_provider_arn(partition, account, tenant_id),
            }
        )  # fmt: skip
    if manage_outbound:
        statements.append(
            {
                "Sid": "EnableOutboundFederation",
                "Effect": "Allow",
                "Action": ["iam:EnableOutboundWebIdentityFederation", "iam:GetOutboundWebIdentityFederationInfo"],
                "Resource": "*",
            }
        )
    return {"Version": VERSION, "Statement": statements}


class AwsFederationArgs(StandardArgs):
    ctx: AwsContext
    # Entra side: the tenant and every audience a workload requests (None: no Azure workload assumes an AWS role).
    entra_tenant_id: str | None = None
    entra_audiences: tuple[str, ...] = ()
    # An existing provider for the tenant (one per account and URL) instead of creating one.
    entra_provider_arn: str | None = None
    # Outbound: this stack owns the account's outbound identity federation.
    manage_outbound: bool = False


class AwsFederation(pulumi.ComponentResource):
    """The account's trust in the Entra tenant, and (if this stack owns it) its outbound identity federation."""

    entra_provider_arn: str | None
    entra_provider: aws.iam.OpenIdConnectProvider | None
    outbound_issuer: pulumi.Output[str] | None

    def __init__(self, name: str, args: AwsFederationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:Federation", name, None, opts)
        ctx = args.ctx
        self.entra_provider_arn, self.entra_provider, self.outbound_issuer = None, None, None
        if args.entra_tenant_id is not None:
            audiences = sorted(set(args.entra_audiences))
            if not audiences or len(audiences) > MAX_CLIENT_IDS:
                raise ValueError(f"an IAM OIDC provider holds 1 to {MAX_CLIENT_IDS} client IDs, {len(audiences)} given")
            self.entra_provider_arn = args.entra_provider_arn or entra_provider_arn(
                ctx.partition, ctx.account, args.entra_tenant_id
            )
            if args.entra_provider_arn is None:
                self.entra_provider = aws.iam.OpenIdConnectProvider(
                    f"{name}-entra-oidc",
                    url=entra_issuer(args.entra_tenant_id),
                    client_id_lists=audiences,
                    tags=dict(args.tags),
                    opts=pulumi.ResourceOptions(parent=self),
                )
        if args.manage_outbound:
            # Account-wide: deleting it turns outbound federation off for every workload of the account, so it is
            # protected and, should it ever leave the stack, retained (turn it off in IAM account settings).
            outbound = aws.iam.OutboundWebIdentityFederation(
                f"{name}-outbound",
                opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
            )
            self.outbound_issuer = outbound.issuer_identifier
        self.register_outputs({"entra_provider_arn": self.entra_provider_arn, "outbound_issuer": self.outbound_issuer})
