"""Portability rules: what it takes to move a workload to the other cloud is written down and kept possible.

Tags say who owns a resource and where its exit plan is; model versions are pinned (a silent upgrade changes
behaviour on one cloud only); each logical endpoint serves the same kind of job on both clouds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from crosscloud.policies.rules.base import Finding, ResourceView, Rule, RuleContext, StackView, get, is_unknown
from crosscloud.policies.rules.bedrock import find_refs, model_key
from crosscloud.policies.rules.residency import DEPLOYMENT, SERVERLESS_ENDPOINT
from crosscloud.policies.rules.where import is_aws, is_azure, tag_value

DEFAULT_REQUIRED_TAGS = ["owner", "cost-center", "data-classification"]
# Resources that must carry the required tags even when a program passes none (AI, data, network, capacity).
TAGGED_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:kms/key:Key",
        "aws:bedrock/guardrail:Guardrail",
        "aws:bedrock/inferenceProfile:InferenceProfile",
        "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput",
        "aws:ec2/capacityReservation:CapacityReservation",
        "aws:ec2/capacityBlockReservation:CapacityBlockReservation",
        "azure-native:resources:ResourceGroup",
        "azure-native:network:VirtualNetwork",
        "azure-native:cognitiveservices:Account",
        "azure-native:machinelearningservices:ServerlessEndpoint",
        "azure-native:compute:CapacityReservationGroup",
        "azure-native:compute:CapacityReservation",
    }
)
# Cloud-specific features with no drop-in counterpart on the other cloud: each needs an exit plan.
PROPRIETARY_TYPES = {
    "aws:bedrock/guardrail:Guardrail": "Bedrock Guardrails",
    "aws:bedrock/agentAgent:AgentAgent": "Bedrock Agents",
    "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase": "Bedrock Knowledge Bases",
    "aws:bedrock/customModel:CustomModel": "Bedrock custom models",
    "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput": "Bedrock Provisioned Throughput",
    "azure-native:cognitiveservices:Account": "Azure AI Foundry",
    "azure-native:cognitiveservices:AccountCapabilityHost": "Foundry Agent Service",
    "azure-native:cognitiveservices:ProjectCapabilityHost": "Foundry Agent Service",
    "azure-native:machinelearningservices:ServerlessEndpoint": "Azure Models-as-a-Service",
}
ALLOWED_UPGRADE_OPTIONS = ["NoAutoUpgrade", "OnceCurrentVersionExpired"]
_VERSIONED = re.compile(r"(-v\d+(:\d+)?|:\d+)$")


def _tag_list(ctx: RuleContext, key: str, default: list[str]) -> list[str]:
    value = ctx.config.get(key)
    return [str(v) for v in value] if isinstance(value, list) else default


def check_required_tags(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not (is_aws(view) or is_azure(view)) or view.type.startswith("pulumi:providers:"):
        return
    if view.type not in TAGGED_TYPES and "tags" not in view.props:
        return
    if is_unknown(view.props.get("tags")):
        get(view.props, "tags")
    required = _tag_list(ctx, "tags", DEFAULT_REQUIRED_TAGS)
    missing = [t for t in required if tag_value(view, t) in (None, "")]
    if missing:
        yield f"missing tags {', '.join(missing)} (crosscloud:tags); required: {', '.join(required)}"


def check_exit_plan(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    feature = PROPRIETARY_TYPES.get(view.type)
    if feature is None:
        return
    tag = str(ctx.config.get("tag", "exit-plan"))
    value = tag_value(view, tag)
    if is_unknown(value):
        get(view.props, f"tags.{tag}")
    if value in (None, ""):
        yield (
            f"{feature} has no counterpart on the other cloud and no '{tag}' tag; allowed: tag '{tag}' naming the "
            "exit plan (document or URL), e.g. via crosscloud:tags"
        )


def check_pinned_versions(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    allowed_options = _tag_list(ctx, "allowed_upgrade_options", ALLOWED_UPGRADE_OPTIONS)
    if view.type == DEPLOYMENT:
        model = get(view.props, "properties.model.name") or "?"
        if not get(view.props, "properties.model.version"):
            yield f"deployment of {model} has no properties.model.version; allowed: an explicit version"
        option = get(view.props, "properties.versionUpgradeOption")
        if option not in allowed_options:
            shown = option or "unset (Azure default OnceNewDefaultVersionAvailable)"
            yield f"deployment of {model} has versionUpgradeOption {shown}; allowed: {', '.join(allowed_options)}"
    elif view.type == SERVERLESS_ENDPOINT:
        model_id = get(view.props, "properties.modelSettings.modelId")
        if model_id and "/versions/" not in str(model_id):
            yield f"serverless endpoint model {model_id} names no version; allowed: azureml://.../versions/<n>"
    elif view.type.startswith("aws:"):
        for ref in find_refs(ctx.catalog, dict(view.props)):
            if ref.kind not in ("foundation-model", "inference-profile") or "*" in ref.model_id:
                continue
            if model_key(ctx.catalog, ref.model_id) is None and not _VERSIONED.search(ref.model_id):
                yield f"Bedrock model {ref.model_id} at {ref.path} names no version; allowed: a versioned model ID"


def _endpoints(ctx: RuleContext) -> list[Mapping[str, Any]]:
    value = ctx.stack_config("crosscloud:endpoints")
    return [e for e in value if isinstance(e, Mapping)] if isinstance(value, list) else []


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def check_model_parity(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    models = ctx.catalog.models
    for i, endpoint in enumerate(_endpoints(ctx)):
        name = endpoint.get("name", f"#{i}")
        where = f"endpoint {name!r} (crosscloud:endpoints[{i}])"
        sides = {c: endpoint[c].get("model") for c in ("aws", "azure") if isinstance(endpoint.get(c), Mapping)}
        primary = endpoint.get("primary")
        if primary is not None and primary not in sides:
            yield (
                None,
                f"{where}: primary {primary!r} names a cloud the endpoint does not use; allowed: {', '.join(sides)}",
            )
        for cloud, model in sides.items():
            entry = models.get(str(model))
            if entry is None or getattr(entry, cloud) is None:
                yield None, f"{where}: {cloud} model {model!r} is not in the {cloud} catalog; see `crosscloud models`"
        if len(sides) != 2 or any(str(m) not in models for m in sides.values()):
            continue
        kinds = {cloud: models[str(m)].kind for cloud, m in sides.items()}
        if kinds["aws"] != kinds["azure"]:
            yield (
                None,
                f"{where}: aws {sides['aws']} is {_a(kinds['aws'])} model but azure {sides['azure']} is "
                f"{_a(kinds['azure'])} model; allowed: the same kind of model on both clouds",
            )


REQUIRED_TAGS = Rule(
    id="required-tags",
    description="AI, data, network and capacity resources carry the ownership and classification tags",
    check=check_required_tags,
    remediation="Add the tags to crosscloud:tags in Pulumi.<stack>.yaml (components pass them to every resource), "
    "or set them on the resource or the AWS provider's defaultTags.",
    severity="medium",
    on_unknown="advisory",
    config_properties={"tags": {"type": "array", "items": {"type": "string"}, "description": "required tag keys"}},
)

PROPRIETARY_FEATURE_NEEDS_EXIT_PLAN = Rule(
    id="proprietary-feature-needs-exit-plan",
    description="Cloud-specific AI features (guardrails, agents, Foundry, MaaS, provisioned throughput) carry an "
    "exit-plan tag",
    check=check_exit_plan,
    remediation="Write down how the workload moves to the other cloud (models, prompts, re-indexing, data export) "
    "and add its location as the 'exit-plan' tag (crosscloud:tags.exit-plan).",
    severity="medium",
    config_properties={"tag": {"type": "string", "description": "the tag naming the exit plan"}},
)

PINNED_MODEL_VERSIONS = Rule(
    id="pinned-model-versions",
    description="Model deployments and references name an exact version and do not upgrade on their own",
    check=check_pinned_versions,
    remediation="Set properties.model.version and versionUpgradeOption NoAutoUpgrade (or OnceCurrentVersionExpired) "
    "on Foundry deployments; use versioned Bedrock model IDs (the catalog's).",
    severity="medium",
    config_properties={
        "allowed_upgrade_options": {"type": "array", "items": {"type": "string"}},
    },
)

MODEL_PARITY_ACROSS_CLOUDS = Rule(
    id="model-parity-across-clouds",
    description="Each logical endpoint serves the same kind of model on both clouds, from the catalog",
    check_stack=check_model_parity,
    remediation="In crosscloud:endpoints, name for each cloud a catalog model of the same kind (chat or embedding); "
    "`crosscloud models --residency <set>` lists the resident ones.",
    severity="high",
)

RULES = (REQUIRED_TAGS, PROPRIETARY_FEATURE_NEEDS_EXIT_PLAN, PINNED_MODEL_VERSIONS, MODEL_PARITY_ACROSS_CLOUDS)
