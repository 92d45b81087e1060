"""The portability, security, capacity and governance packs over gRPC: a compliant and a violating case per rule,
exemption tags (in force, expired, malformed, unknown rule), and the per-stack policy-config files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crosscloud.engine.check import PackRun, check_graph
from crosscloud.engine.graph import UNKNOWN, Graph, Resource
from crosscloud.engine.policy_config import read_policy_config
from crosscloud.engine.project import Project
from crosscloud.engine.violations import CheckResult
from crosscloud.policies.rules import capacity, governance, lifecycle, portability, security, serving
from tests.graphs import graph, provider, resource
from tests.test_policies import SONNET, arn, by_resource, deployment, iam_policy, with_deps

PACKS = ("portability", "security", "capacity", "governance")
TAGS = {"owner": "ml", "cost-center": "4711", "data-classification": "internal"}
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
FAR = (dt.date.today() + dt.timedelta(days=800)).isoformat()
ACCOUNT_TYPE = "azure-native:cognitiveservices:Account"
ENDPOINTS = [
    {"name": "chat", "aws": {"model": "gpt-oss-120b"}, "azure": {"model": "gpt-4.1"}, "primary": "azure"},
    {"name": "mixed", "aws": {"model": "titan-embed-text-v2"}, "azure": {"model": "gpt-4.1"}},
    {"name": "ghost", "aws": {"model": "no-such-model"}},
    {"name": "wrong-primary", "aws": {"model": "gpt-oss-20b"}, "primary": "azure"},
]


def account(name: str, **props: object) -> Resource:
    good = {"disableLocalAuth": True, "publicNetworkAccess": "Disabled"}
    return resource(
        ACCOUNT_TYPE,
        name,
        None,
        accountName=name,
        location="swedencentral",
        kind="AIServices",
        identity={"type": "SystemAssigned"},
        properties={**good, **props},
        tags={**TAGS, "exit-plan": "docs/exit.md"},
    )


def tagged(res: Resource, **tags: str) -> Resource:
    res.inputs["tags"] = {**TAGS, **tags}
    return res


def cases() -> list[Resource]:
    eu = provider("aws", "aws-eu", region="eu-central-1")
    eu_defaults = provider("aws", "aws-eu-defaults", region="eu-central-1", defaultTags={"tags": TAGS})
    north = provider("aws", "aws-north", region="eu-north-1")
    az = provider("azure-native", "az", location="swedencentral")
    acct_ok = account("acct-ok")
    reservation = "aws:ec2/capacityReservation:CapacityReservation"
    azure_reservation = "azure-native:compute:CapacityReservation"
    good_reservation = {
        "instanceType": "p5.48xlarge",
        "instanceCount": 2,
        "availabilityZone": "eu-north-1a",
        "endDateType": "limited",
        "endDate": "2026-12-21T00:00:00Z",
        "instancePlatform": "Linux/UNIX",
    }
    diag = with_deps(
        resource(
            "azure-native:monitor:DiagnosticSetting",
            "diag-ok",
            az,
            resourceUri=UNKNOWN,
            logs=[{"categoryGroup": "audit"}],
        ),
        resourceUri=acct_ok,
    )
    invoke = arn("eu-central-1", "foundation-model", "openai.gpt-oss-120b-1:0")
    return [
        eu,
        eu_defaults,
        north,
        az,
        # required-tags
        tagged(resource("aws:ec2/vpc:Vpc", "vpc-tagged", eu)),
        resource("aws:ec2/vpc:Vpc", "vpc-provider-tags", eu_defaults),
        resource("aws:ec2/vpc:Vpc", "vpc-untagged", eu),
        resource(
            "azure-native:resources:ResourceGroup", "rg-partial", az, location="swedencentral", tags={"owner": "x"}
        ),
        resource(
            "aws:ec2/vpc:Vpc",
            "vpc-exempt",
            eu,
            tags={"crosscloud:exempt:required-tags": f"{FUTURE}:legacy VPC, migrating"},
        ),
        resource(
            "aws:ec2/vpc:Vpc",
            "vpc-expired",
            eu,
            tags={"crosscloud:exempt:required-tags": "2020-01-01:legacy VPC, migrating"},
        ),
        resource("aws:ec2/vpc:Vpc", "vpc-malformed", eu, tags={"crosscloud:exempt:required-tags": "next year"}),
        resource(
            "aws:ec2/vpc:Vpc",
            "vpc-no-such-rule",
            eu,
            tags={**TAGS, "crosscloud:exempt:no-such-rule": f"{FUTURE}:a good reason"},
        ),
        resource(
            "aws:ec2/vpc:Vpc",
            "vpc-too-far",
            eu,
            tags={**TAGS, "crosscloud:exempt:required-tags": f"{FAR}:a good reason"},
        ),
        # proprietary-feature-needs-exit-plan, ai-local-auth-disabled, ai-network-restricted, ai-managed-identity
        acct_ok,
        account("acct-keys", disableLocalAuth=False),
        account("acct-public", publicNetworkAccess="Enabled"),
        account("acct-acl", publicNetworkAccess="Enabled", networkAcls={"defaultAction": "Deny"}),
        tagged(
            resource(ACCOUNT_TYPE, "acct-bare", az, accountName="acct-bare", location="swedencentral", properties={})
        ),
        diag,
        # pinned-model-versions, guardrail-attached, provisioned-has-spillover-or-ack, commitment-needs-approval
        deployment("dep-pinned", "acct-ok", "Standard", versionUpgradeOption="NoAutoUpgrade", raiPolicyName="strict"),
        deployment(
            "dep-floating",
            "acct-ok",
            "Standard",
            model={"format": "OpenAI", "name": "gpt-4.1"},
            versionUpgradeOption="OnceNewDefaultVersionAvailable",
        ),
        tagged(
            deployment(
                "dep-ptu-approved",
                "acct-ok",
                "ProvisionedManaged",
                versionUpgradeOption="NoAutoUpgrade",
                raiPolicyName="strict",
                spilloverDeploymentName="dep-pinned",
            ),
            **{"crosscloud:approved-by": "cfo TICKET-1"},
        ),
        deployment(
            "dep-ptu-bare", "acct-ok", "ProvisionedManaged", versionUpgradeOption="NoAutoUpgrade", raiPolicyName="s"
        ),
        tagged(
            deployment(
                "dep-ptu-ack",
                "acct-ok",
                "DataZoneProvisionedManaged",
                versionUpgradeOption="NoAutoUpgrade",
                raiPolicyName="s",
            ),
            **{"crosscloud:no-spillover": "batch only", "crosscloud:approved-by": "cfo TICKET-2"},
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-unversioned",
            eu,
            environment={"variables": {"MODEL": "anthropic.claude-latest-preview"}},
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-versioned",
            eu,
            environment={"variables": {"MODEL": f"eu.{SONNET}"}},
        ),
        # iam-no-bedrock-wildcards, iam-no-access-keys, guardrail-attached / ai-diagnostics-enabled (AWS side)
        iam_policy("pol-exact", eu, invoke),
        iam_policy("pol-star-action", eu, invoke, action="bedrock:*"),
        iam_policy("pol-star-resource", eu, "*"),
        iam_policy("pol-list", eu, "*", action="bedrock:List*"),
        resource("aws:iam/accessKey:AccessKey", "key", eu, user="ci"),
        resource(
            "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
            "bedrock-api-key",
            eu,
            serviceName="bedrock.amazonaws.com",
            userName="app",
        ),
        # gpu-reservation-bounded
        tagged(resource(reservation, "gpu-ok", north, **good_reservation)),
        tagged(resource(reservation, "gpu-unbounded", north, **{**good_reservation, "endDateType": "unlimited"})),
        tagged(resource(reservation, "gpu-too-many", north, **{**good_reservation, "instanceCount": 32})),
        tagged(resource(reservation, "gpu-wrong-type", north, **{**good_reservation, "instanceType": "p3.16xlarge"})),
        resource(reservation, "gpu-untagged", north, **good_reservation),
        tagged(
            resource(
                azure_reservation,
                "az-gpu-no-end",
                az,
                location="swedencentral",
                sku={"name": "Standard_NC24ads_A100_v4", "capacity": 1},
            )
        ),
        tagged(
            resource(
                azure_reservation,
                "az-gpu-end-tag",
                az,
                location="swedencentral",
                sku={"name": "Standard_NC24ads_A100_v4", "capacity": 1},
            ),
            **{"crosscloud:ends": "2026-12-31", "crosscloud:approved-by": "cfo TICKET-3"},
        ),
        # commitment-needs-approval
        resource(
            "aws:ec2/capacityBlockReservation:CapacityBlockReservation",
            "block-unapproved",
            north,
            capacityBlockOfferingId="cbr-0123456789abcdef0",
            instancePlatform="Linux/UNIX",
            tags=TAGS,
        ),
        tagged(
            resource(
                "aws:ec2/capacityBlockReservation:CapacityBlockReservation",
                "block-approved",
                north,
                capacityBlockOfferingId="cbr-0123456789abcdef1",
                instancePlatform="Linux/UNIX",
            ),
            **{"crosscloud:approved-by": "cfo TICKET-4"},
        ),
    ]


def case_graph() -> Graph:
    g = graph(cases())
    g.config["crosscloud:endpoints"] = json.dumps(ENDPOINTS)
    return g


@pytest.fixture(scope="module")
def packs_result(project: Project) -> CheckResult:
    """The four packs with the prod policy-config files, as `crosscloud preview prod` pairs them."""
    policies = project.root / "policies"
    runs = [
        PackRun(policies / name, read_policy_config(policies / "config" / "prod" / f"{name}.json")) for name in PACKS
    ]
    return check_graph(case_graph(), runs)


def test_pack_metadata(packs_result: CheckResult) -> None:
    names = {p.name: set(p.policies) for p in packs_result.packs}
    assert names == {
        "crosscloud-portability": {r.id for r in (*portability.RULES, *lifecycle.RULES)},
        "crosscloud-security": {r.id for r in security.RULES},
        "crosscloud-capacity": {r.id for r in (*capacity.RULES, *serving.CAPACITY_RULES)},
        "crosscloud-governance": {r.id for r in governance.RULES},
    }
    for pack in packs_result.packs:
        for meta in pack.policies.values():
            assert meta.description and meta.remediation and meta.severity


def test_required_tags(packs_result: CheckResult) -> None:
    found = by_resource(packs_result, "required-tags")
    for passing in ("vpc-tagged", "vpc-provider-tags", "vpc-exempt", "acct-ok", "gpu-ok"):
        assert passing not in found, passing
    assert found["vpc-untagged"] == [
        "missing tags owner, cost-center, data-classification (crosscloud:tags); required: owner, cost-center, "
        "data-classification"
    ]
    assert found["rg-partial"][0].startswith("missing tags cost-center, data-classification")
    assert "vpc-expired" in found and "vpc-malformed" in found, "a broken exemption does not exempt"


def test_exit_plan(packs_result: CheckResult) -> None:
    found = by_resource(packs_result, "proprietary-feature-needs-exit-plan")
    assert "acct-ok" not in found
    assert found["acct-bare"][0].startswith("Azure AI Foundry has no counterpart on the other cloud and no 'exit-plan'")


def test_pinned_model_versions(packs_result: CheckResult) -> None:
    found = by_resource(packs_result, "pinned-model-versions")
    assert "dep-pinned" not in found and "fn-versioned" not in found
    assert found["dep-floating"] == [
        "deployment of gpt-4.1 has no properties.model.version; allowed: an explicit version",
        "deployment of gpt-4.1 has versionUpgradeOption OnceNewDefaultVersionAvailable; allowed: NoAutoUpgrade, "
        "OnceCurrentVersionExpired",
    ]
    assert "anthropic.claude-latest-preview" in found["fn-unversioned"][0]


def test_model_parity(packs_result: CheckResult) -> None:
    stack = [v.message for v in packs_result.violations if v.policy == "model-parity-across-clouds"]
    assert not any("'chat'" in m for m in stack)
    assert (
        "endpoint 'mixed' (crosscloud:endpoints[1]): aws titan-embed-text-v2 is an embedding model but azure gpt-4.1 "
        "is a chat model; allowed: the same kind of model on both clouds" in stack
    )
    assert any("'ghost'" in m and "not in the aws catalog" in m for m in stack)
    assert any("'wrong-primary'" in m and "primary 'azure'" in m for m in stack)


def test_foundry_account_security(packs_result: CheckResult) -> None:
    local = by_resource(packs_result, "ai-local-auth-disabled")
    network = by_resource(packs_result, "ai-network-restricted")
    identity = by_resource(packs_result, "ai-managed-identity")
    diagnostics = by_resource(packs_result, "ai-diagnostics-enabled")
    assert set(local) == {"acct-keys", "acct-bare"}
    assert set(network) == {"acct-public", "acct-bare"}, "a deny-by-default ACL is restricted too"
    assert set(identity) == {"acct-bare"}
    assert "acct-ok" not in diagnostics and "acct-keys" in diagnostics


def test_iam_rules(packs_result: CheckResult) -> None:
    wildcards = by_resource(packs_result, "iam-no-bedrock-wildcards")
    assert set(wildcards) == {"pol-star-action", "pol-star-resource"}
    assert "grants bedrock:*" in wildcards["pol-star-action"][0]
    assert "grants bedrock actions on *" in wildcards["pol-star-resource"][0]
    keys = by_resource(packs_result, "iam-no-access-keys")
    assert set(keys) == {"key", "bedrock-api-key"}
    assert "bedrock.amazonaws.com" in keys["bedrock-api-key"][0]


def test_guardrails_and_logging_beside_bedrock_grants(packs_result: CheckResult) -> None:
    guard = by_resource(packs_result, "guardrail-attached")
    assert "dep-pinned" not in guard and "dep-floating" in guard
    assert "pol-exact" in guard and "no Bedrock guardrail" in guard["pol-exact"][0]
    diagnostics = by_resource(packs_result, "ai-diagnostics-enabled")
    assert "pol-exact" in diagnostics and "invocation logging" in diagnostics["pol-exact"][0]
    assert "vpc-tagged" not in guard


def test_gpu_reservation_bounded(packs_result: CheckResult) -> None:
    found = by_resource(packs_result, "gpu-reservation-bounded")
    levels = {v.enforcement_level for v in packs_result.violations if v.policy == "gpu-reservation-bounded"}
    assert levels == {"mandatory"}, "a GPU reservation without an end date blocks prod"
    assert "gpu-ok" not in found and "az-gpu-end-tag" not in found
    assert "no end date" in found["gpu-unbounded"][0]
    assert found["gpu-too-many"] == ["reserves 32 instances; allowed: at most 8"]
    assert found["gpu-wrong-type"][0].startswith("GPU type p3.16xlarge is not allowed; allowed: p4d.24xlarge")
    assert "lacks tags owner, cost-center" in found["gpu-untagged"][0]
    assert "no end date" in found["az-gpu-no-end"][0]


def test_commitments_and_spillover(packs_result: CheckResult) -> None:
    approval = by_resource(packs_result, "commitment-needs-approval")
    assert set(approval) >= {"block-unapproved", "dep-ptu-bare", "az-gpu-no-end"}
    assert not set(approval) & {"block-approved", "dep-ptu-approved", "dep-ptu-ack", "az-gpu-end-tag", "gpu-ok"}
    spill = by_resource(packs_result, "provisioned-has-spillover-or-ack")
    assert set(spill) == {"dep-ptu-bare"}


def test_exemptions(packs_result: CheckResult) -> None:
    valid = by_resource(packs_result, "exemption-valid")
    assert "vpc-exempt" not in valid
    assert valid["vpc-expired"] == [
        "exemption crosscloud:exempt:required-tags expired on 2020-01-01; renew it or fix the resource"
    ]
    assert valid["vpc-malformed"][0].startswith("malformed exemption tag crosscloud:exempt:required-tags='next year'")
    assert "names no crosscloud rule" in valid["vpc-no-such-rule"][0]
    assert "more than 366 days, so it exempts nothing" in valid["vpc-too-far"][0]
    listed = [v for v in packs_result.violations if v.policy == "exemptions-in-force"]
    assert sorted((v.urn.split("::")[-1], v.enforcement_level) for v in listed) == [("vpc-exempt", "advisory")]
    assert [v.message for v in listed if "vpc-exempt" in v.urn] == [
        f"exemption in force: required-tags until {FUTURE}: legacy VPC, migrating"
    ]


@pytest.mark.parametrize(("stack", "level"), [("dev", "advisory"), ("prod", "mandatory")])
def test_policy_config_files_per_stack(project: Project, stack: str, level: str) -> None:
    """Each stack has one config file per pack; dev is advisory, prod mandatory (exemptions-in-force stays advisory)."""
    folders = sorted(p.name for p in project.policy_packs())
    config_dir = project.root / "policies" / "config" / stack
    assert sorted(p.stem for p in config_dir.glob("*.json")) == folders
    for folder in folders:
        data = json.loads((config_dir / f"{folder}.json").read_text())
        assert data["all"] == level
    governance_config = json.loads((config_dir / "governance.json").read_text())
    result = check_graph(case_graph(), [project.root / "policies" / "governance"], governance_config)
    levels = {(v.policy, v.enforcement_level) for v in result.violations}
    assert levels == {("exemption-valid", level), ("exemptions-in-force", "advisory")}


def test_shipped_config_keys_are_declared(project: Project) -> None:
    """Every per-policy setting in the config files is a property of that policy's config schema."""
    from crosscloud.policies.rules.base import COMMON_CONFIG
    from crosscloud.policies.rules.residency import RULES as RESIDENCY

    rules = {r.id: r for r in (*RESIDENCY, *portability.RULES, *security.RULES, *capacity.RULES, *governance.RULES)}
    for path in Path(project.root / "policies" / "config").glob("*/*.json"):
        for policy, settings in json.loads(path.read_text()).items():
            if policy == "all" or isinstance(settings, str):
                continue
            assert policy in rules, (path, policy)
            declared = {*COMMON_CONFIG, *(rules[policy].config_properties or {}), "enforcementLevel"}
            assert set(settings) <= declared, (path, policy)
