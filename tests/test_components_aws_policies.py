"""Every policy document the AWS half of the stack produces, linted; the invoke policy's scope as a property; and the
stack program's AWS resources for dev and prod."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crosscloud.catalog import Catalog, load_catalog
from crosscloud.components.aws.documents import (
    INVOKE_ACTIONS,
    application_profile_document,
    guardrail_requirement_document,
    model_access_document,
    model_resources,
)
from crosscloud.declaration import pulumi_config_map, read_stack_file
from crosscloud.declaration.checks import check_declaration
from crosscloud.declaration.spec import PlatformSpec
from crosscloud.engine import synth as synth_module
from crosscloud.engine.check import deferred_documents, deferred_note
from crosscloud.engine.graph import UNKNOWN, Graph, Resource
from crosscloud.engine.project import Project
from crosscloud.engine.synth import synthesize
from tests.iam_lint import lint

ACCOUNT = "123456789012"

# Which input of which resource type holds a policy document, and what kind of document it is.
DOCUMENTS = {
    "aws:iam/policy:Policy": ("policy", "identity"),
    "aws:iam/rolePolicy:RolePolicy": ("policy", "identity"),
    "aws:iam/role:Role": ("assumeRolePolicy", "trust"),
    "aws:kms/key:Key": ("policy", "key"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "resource"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy", "resource"),
}


def _fake_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:12]


def _computed(region: str):
    """Mock outputs for the ARNs providers compute, so documents built from them can be linted."""

    def new_resource(self: Any, args: Any) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        rid = _fake_id(args.name)
        bedrock = f"arn:aws:bedrock:{region}:{ACCOUNT}"
        arn = {
            "aws:bedrock/inferenceProfile:InferenceProfile": f"{bedrock}:application-inference-profile/{rid}",
            "aws:kms/key:Key": f"arn:aws:kms:{region}:{ACCOUNT}:key/{rid}",
            "aws:iam/policy:Policy": f"arn:aws:iam::{ACCOUNT}:policy/crosscloud/{args.inputs.get('name', rid)}",
            "aws:iam/role:Role": f"arn:aws:iam::{ACCOUNT}:role/crosscloud/{args.inputs.get('name', rid)}",
        }.get(args.typ)
        if arn:
            outputs["arn"] = arn
        if args.typ == "aws:bedrock/guardrail:Guardrail":
            outputs |= {"guardrailArn": f"{bedrock}:guardrail/{rid}", "guardrailId": rid}
        if args.typ == "aws:bedrock/guardrailVersion:GuardrailVersion":
            outputs["version"] = "1"
        if args.typ == "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput":
            outputs["provisionedModelArn"] = f"{bedrock}:provisioned-model/{rid}"
        return rid, outputs

    return new_resource


def stack_graph(project: Project, stack: str) -> Graph:
    return synthesize(project, stack, pulumi_config_map(read_stack_file(project.stack_file(stack))))


def documents(resources: list[Resource]) -> list[tuple[str, str, Any]]:
    found = []
    for r in resources:
        if r.type in DOCUMENTS:
            key, kind = DOCUMENTS[r.type]
            if key in r.inputs:
                found.append((r.name, kind, r.inputs[key]))
    return found


@pytest.mark.parametrize(("stack", "region"), [("dev", "eu-central-1"), ("prod", "eu-north-1")])
def test_every_policy_document_of_the_stack_lints_clean(
    project: Project, stack: str, region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth_module.PreviewMocks, "new_resource", _computed(region))
    docs = documents(stack_graph(project, stack).resources)
    kinds = {kind for _, kind, _ in docs}
    assert kinds == {"identity", "trust", "key", "resource"}
    assert len(docs) >= 15
    for name, kind, text in docs:
        assert text != UNKNOWN, f"{name}: document still unknown with every ARN resolved"
        document = json.loads(text)
        assert lint(document, kind) == [], name
        assert "bedrock:*" not in text and "foundation-model/*" not in text


def test_prod_requires_the_published_guardrail_on_chat_endpoints_only(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth_module.PreviewMocks, "new_resource", _computed("eu-north-1"))
    graph = stack_graph(project, "prod")
    [guardrail] = by_type(graph, "aws:bedrock/guardrail:Guardrail")
    identifier = f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:guardrail/{_fake_id(guardrail.name)}:1"
    denials: dict[str, list[Any]] = {}
    for r in by_type(graph, "aws:iam/policy:Policy"):
        statements = json.loads(r.inputs["policy"])["Statement"]
        if any(s["Effect"] == "Deny" for s in statements):
            assert all(s["Effect"] == "Deny" for s in statements), f"{r.name}: the pin lives in a Deny-only policy"
            denials[r.name] = [s["Condition"] for s in statements]
    required = {"StringNotEquals": {"bedrock:GuardrailIdentifier": identifier}}

    def on_profile(endpoint: str) -> dict[str, Any]:
        return {**required, "StringEquals": {"aws:ResourceTag/crosscloud-access": f"crosscloud-prod-{endpoint}"}}

    # embeddings are not screened by guardrails, so `embed` has no such policy
    assert denials == {
        f"aws-bedrock-{e}-guardrail-policy": [required, on_profile(e)] for e in ("chat", "reasoning", "drafts")
    }


def test_every_document_is_known_at_preview_but_the_guardrail_pin(project: Project) -> None:
    """A first preview (no provider-computed value): every policy document is readable by the packs, except the
    Deny-only guardrail pins (the guardrail's ID exists only after creation), which the run names in one note."""
    for stack in ("dev", "prod"):
        graph = stack_graph(project, stack)
        unknown = sorted(name for name, _kind, text in documents(graph.resources) if text == UNKNOWN)
        expected = (
            [] if stack == "dev" else [f"aws-bedrock-{e}-guardrail-policy" for e in ("chat", "drafts", "reasoning")]
        )
        assert unknown == expected, stack
        assert sorted(urn.split("::")[-1] for urn in deferred_documents(graph)) == expected
        if expected:
            assert all(name in deferred_note(deferred_documents(graph)) for name in expected)
        for name, kind, text in documents(graph.resources):
            if text != UNKNOWN:
                assert lint(json.loads(text), kind) == [], f"{stack}: {name}"


def test_application_profiles_are_named_by_their_access_tag(project: Project) -> None:
    """The tag the invoke policy and the endpoint policies name is the one each profile (and nothing else) carries."""
    graph = stack_graph(project, "prod")
    tags = {
        r.inputs["name"]: r.inputs["tags"]["crosscloud-access"]
        for r in by_type(graph, "aws:bedrock/inferenceProfile:InferenceProfile")
    }
    assert tags == {name: name for name in tags}, "the access tag is the profile's own, account-unique name"
    for endpoint in ("chat", "reasoning", "drafts", "embed"):
        [policy] = [
            r for r in by_type(graph, "aws:iam/policy:Policy") if r.name == f"aws-bedrock-{endpoint}-profile-policy"
        ]
        first = json.loads(policy.inputs["policy"])["Statement"][0]
        assert first["Resource"] == [f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:application-inference-profile/*"]
        assert first["Condition"] == {
            "StringEquals": {"aws:ResourceTag/crosscloud-access": f"crosscloud-prod-{endpoint}"}
        }
    [runtime] = [
        r for r in by_type(graph, "aws:ec2/vpcEndpoint:VpcEndpoint") if r.name == "aws-network-bedrock-runtime"
    ]
    statement = json.loads(runtime.inputs["policy"])["Statement"][1]
    assert statement["Condition"]["StringEquals"]["aws:ResourceTag/crosscloud-access"] == sorted(tags)
    [guardrail] = by_type(graph, "aws:bedrock/guardrail:Guardrail")
    assert guardrail.inputs["tags"]["crosscloud-access"] == "crosscloud-prod-guardrail"
    keys = [k for k in by_type(graph, "aws:kms/key:Key") if k.inputs["tags"].get("crosscloud-access")]
    assert [k.inputs["tags"]["crosscloud-access"] for k in keys] == ["crosscloud-prod-guardrail-key"]


def test_the_linter_finds_what_it_should() -> None:
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "bedrock:*", "Resource": "*"},
            {
                "Sid": "B",
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel"],
                "Resource": ["arn:aws:bedrock:eu-north-1::foundation-model/*"],
            },
            {
                "Sid": "C",
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel"],
                "Resource": ["arn:aws:s3:::bucket/key"],
                "Condition": {"StringEquals": {"bedrock:NoSuchKey": "x"}},
            },
            {"Sid": "D", "Effect": "Allow", "Action": ["bedrock:InvokeModelNow"], "Resource": ["arn:aws:s3:::b/k"]},
        ],
    }
    wide["Statement"] += [
        {  # a taggable kind narrowed by an exact tag: names the tagged resources (IAM ABAC), clean
            "Sid": "E",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel"],
            "Resource": [f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:application-inference-profile/*"],
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "ml"}},
        },
        {  # the same with a wildcard tag value names every profile
            "Sid": "F",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel"],
            "Resource": [f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:application-inference-profile/*"],
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "*"}},
        },
        {  # foundation models carry no tags: the condition can never hold
            "Sid": "G",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel"],
            "Resource": ["arn:aws:bedrock:eu-north-1::foundation-model/amazon.nova-pro-v1:0"],
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "ml"}},
        },
    ]
    findings = lint(wide, "identity")
    assert not any(f.startswith("E:") for f in findings), findings
    assert any(f.startswith("F:") and "names every resource" in f for f in findings)
    assert any(f.startswith("G:") and "never holds" in f for f in findings)
    assert any("A: Allow with wildcard action bedrock:*" in f for f in findings)
    assert any("B: arn:aws:bedrock:eu-north-1::foundation-model/* names every resource" in f for f in findings)
    assert any("C: arn:aws:s3:::bucket/key is not a resource type of bedrock:InvokeModel" in f for f in findings)
    assert any("C: unknown condition key bedrock:NoSuchKey" in f for f in findings)
    assert any("D: unknown action bedrock:InvokeModelNow" in f for f in findings)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Gh",
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}},
            }
        ],
    }
    assert lint(trust, "trust") == [
        "Gh: token.actions.githubusercontent.com:sub must be matched exactly (StringEquals)"
    ]


# -- the invoke policy as a property over every valid endpoint selection -----------------------------------------------
CATALOG = load_catalog()


@st.composite
def selections(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """A residency, a Region of it, and 1-4 models that resolve residently there (a valid declaration)."""
    choices = []
    for name in CATALOG.residency_names:
        residency = CATALOG.residency(name)
        for region in sorted(residency.aws):
            models = CATALOG.resident_models("aws", region, residency)
            if models:
                choices.append((name, region, models))
    name, region, models = draw(st.sampled_from(choices))
    picked = draw(st.lists(st.sampled_from(models), min_size=1, max_size=4, unique=True))
    return name, region, picked


def _regions_of(resources: list[str]) -> set[str]:
    return {arn.split(":")[3] for arn in resources if ":foundation-model/" in arn}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(selection=selections(), app_id=st.from_regex(r"[a-z0-9]{12}", fullmatch=True))
def test_invoke_policy_never_widens_and_lists_exactly_the_destination_regions(
    selection: tuple[str, str, list[str]], app_id: str
) -> None:
    residency, region, models = selection
    spec = PlatformSpec.model_validate(
        {
            "residency": residency,
            "environment": "dev",
            "aws": {"region": region},
            "endpoints": [{"name": f"e{i}", "aws": {"model": m}} for i, m in enumerate(models)],
        }
    )
    declaration = check_declaration(spec, CATALOG, "Pulumi.property.yaml")
    partition = CATALOG.aws_partition(region)
    for endpoint in declaration.endpoints:
        offer = endpoint.aws
        assert offer is not None and offer.destinations is not None
        catalog_offer = CATALOG.select_aws(offer.model, region, CATALOG.residency(residency))
        assert catalog_offer is not None and catalog_offer.destinations == offer.destinations
        document = model_access_document(endpoint.name, offer, partition, ACCOUNT)
        through_app = application_profile_document(endpoint.name, offer, partition, ACCOUNT, f"p-{app_id}")
        app_profiles = f"arn:{partition}:bedrock:{region}:{ACCOUNT}:application-inference-profile/*"
        for doc in (document, through_app):
            assert lint(doc, "identity") == []
            text = json.dumps(doc).replace(json.dumps(app_profiles), "")
            assert "*" not in text, "no wildcard but the tag-scoped application profiles (and the condition on them)"
            for statement in doc["Statement"]:
                assert statement["Action"] == INVOKE_ACTIONS
        assert through_app["Statement"][0]["Condition"] == {
            "StringEquals": {"aws:ResourceTag/crosscloud-access": f"p-{app_id}"}
        }
        assert through_app["Statement"][1]["Resource"] == model_resources(offer, partition, ACCOUNT)
        resources = [arn for s in document["Statement"] for arn in s["Resource"]]
        assert _regions_of(resources) == set(offer.destinations)
        assert all(arn.split(":")[1] == partition for arn in resources)
        if offer.kind == "in-region":
            assert resources == [f"arn:{partition}:bedrock:{region}::foundation-model/{offer.model_id}"]
        else:
            profile = f"arn:{partition}:bedrock:{region}:{ACCOUNT}:inference-profile/{offer.invoke_id}"
            assert document["Statement"][0]["Resource"] == [profile]
            routed = document["Statement"][1]
            assert routed["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile}}
            assert len(routed["Resource"]) == len(offer.destinations)


def test_application_profile_document_with_every_option_lints_clean(catalog: Catalog) -> None:
    offer = catalog.select_aws("claude-sonnet-4-5", "eu-north-1", catalog.residency("europe"))
    assert offer is not None
    bedrock = f"arn:aws:bedrock:eu-north-1:{ACCOUNT}"
    document = application_profile_document(
        "chat",
        offer,
        "aws",
        ACCOUNT,
        "crosscloud-prod-chat",
        provisioned=True,
        guardrail_access="crosscloud-prod-guardrail",
        guardrail_key_access="crosscloud-prod-guardrail-key",
    )
    assert lint(document, "identity") == []
    assert [s["Sid"] for s in document["Statement"]] == [
        "ChatApplicationProfile",
        "ChatApplicationProfileModels",
        "ChatProvisionedThroughput",
        "ChatApplyGuardrail",
        "ChatGuardrailKey",
    ]
    apply = document["Statement"][3]
    assert apply["Resource"] == [f"{bedrock}:guardrail/*"]
    assert apply["Condition"] == {"StringEquals": {"aws:ResourceTag/crosscloud-access": "crosscloud-prod-guardrail"}}
    key = document["Statement"][4]
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == "bedrock.eu-north-1.amazonaws.com"
    deny = guardrail_requirement_document(
        "chat", offer, "aws", ACCOUNT, "crosscloud-prod-chat", f"{bedrock}:guardrail/gr0abc123:3"
    )
    assert lint(deny, "identity") == []
    assert {s["Effect"] for s in deny["Statement"]} == {"Deny"}
    pin = {"StringNotEquals": {"bedrock:GuardrailIdentifier": f"{bedrock}:guardrail/gr0abc123:3"}}
    assert deny["Statement"][0]["Condition"] == pin
    assert f"{bedrock}:inference-profile/{offer.invoke_id}" in deny["Statement"][0]["Resource"]
    assert deny["Statement"][1]["Condition"]["StringEquals"] == {
        "aws:ResourceTag/crosscloud-access": "crosscloud-prod-chat"
    }


def test_a_global_profile_is_never_granted(catalog: Catalog) -> None:
    offers = [o for o in catalog.aws_offerings("claude-sonnet-4-5", "eu-central-1") if o.prefix == "global"]
    assert offers and offers[0].destinations is None
    with pytest.raises(ValueError, match="never grants it"):
        model_access_document("chat", offers[0], "aws", ACCOUNT)


# -- the stack program -------------------------------------------------------------------------------------------------
def by_type(graph: Graph, token: str) -> list[Resource]:
    return [r for r in graph.resources if r.type == token]


def test_prod_synth_has_every_aws_component_and_protects_state(project: Project) -> None:
    graph = stack_graph(project, "prod")
    services = {r.inputs["serviceName"] for r in by_type(graph, "aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert services == {
        f"com.amazonaws.eu-north-1.{s}"
        for s in ("bedrock-runtime", "bedrock", "bedrock-agent-runtime", "bedrock-mantle", "s3")
    }
    assert len(by_type(graph, "aws:ec2/flowLog:FlowLog")) == 1
    assert len(by_type(graph, "aws:bedrock/guardrail:Guardrail")) == 1
    assert len(by_type(graph, "aws:bedrock/guardrailVersion:GuardrailVersion")) == 1
    [config] = by_type(graph, "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration")
    assert (
        config.inputs["loggingConfig"]["s3Config"]["bucketName"]
        == "crosscloud-prod-bedrock-logs-123456789012-eu-north-1"
    )
    assert (
        config.inputs["loggingConfig"]["cloudwatchConfig"]["logGroupName"]
        == "/crosscloud/crosscloud-prod/bedrock-invocations"
    )
    profiles = {r.inputs["name"] for r in by_type(graph, "aws:bedrock/inferenceProfile:InferenceProfile")}
    assert profiles == {f"crosscloud-prod-{e}" for e in ("chat", "reasoning", "drafts", "embed")}
    [odcr] = by_type(graph, "aws:ec2/capacityReservation:CapacityReservation")
    assert (odcr.inputs["endDateType"], odcr.inputs["endDate"]) == ("limited", "2027-03-31T00:00:00Z")
    templates = by_type(graph, "aws:ec2/launchTemplate:LaunchTemplate")
    assert any(odcr.urn in t.property_dependencies.get("capacityReservationSpecification", []) for t in templates)
    [block] = by_type(graph, "aws:ec2/capacityBlockReservation:CapacityBlockReservation")
    assert block.protect and block.retain_on_delete
    roles = {r.inputs["name"]: r for r in by_type(graph, "aws:iam/role:Role")}
    assert {"crosscloud-prod-ci-preview", "crosscloud-prod-ci-deploy", "crosscloud-prod-rag-api"} <= set(roles)
    # GitHub's (CI) and the Entra tenant's (the gateway on Azure assumes its AWS role)
    urls = sorted(r.inputs["url"] for r in by_type(graph, "aws:iam/openIdConnectProvider:OpenIdConnectProvider"))
    assert urls == [
        "https://sts.windows.net/00000000-0000-0000-0000-00000000c0de/",
        "https://token.actions.githubusercontent.com",
    ]
    stateful = (
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ec2/capacityReservation:CapacityReservation",
    )
    for token in stateful:
        assert by_type(graph, token) and all(r.protect for r in by_type(graph, token)), token
    assert not by_type(graph, "aws:iam/user:User") and not by_type(graph, "aws:iam/accessKey:AccessKey")
    assert graph.outputs["endpoints"]["chat"]["aws"] == {
        "catalog_model": "gpt-oss-120b",
        "invoke_id": "openai.gpt-oss-120b-1:0",
        "offering": "in-region",
        "region": "eu-north-1",
        "runtime_endpoint": "bedrock-runtime.eu-north-1.amazonaws.com",
        "kind": "chat",
        "base_model": "bedrock/openai.gpt-oss-120b-1:0",
    }
    assert "aws_invoke_targets" in graph.outputs and "aws_role_arns" in graph.outputs


def test_workloads_carry_only_their_endpoints_policies(project: Project) -> None:
    graph = stack_graph(project, "prod")
    policies = {r.urn: r.name for r in by_type(graph, "aws:iam/policy:Policy")}
    attached: dict[str, set[str]] = {}
    for a in by_type(graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        for urn in a.property_dependencies.get("policyArn", []):
            attached.setdefault(a.name.split("-policy-")[0], set()).add(policies[urn])
    assert attached == {
        "aws-identity-rag-api": {
            "aws-bedrock-chat-models",
            "aws-bedrock-chat-profile-policy",
            "aws-bedrock-chat-guardrail-policy",
            "aws-bedrock-embed-models",
            "aws-bedrock-embed-profile-policy",
        },
        "aws-identity-batch-drafts": {
            "aws-bedrock-drafts-models",
            "aws-bedrock-drafts-profile-policy",
            "aws-bedrock-drafts-guardrail-policy",
            "aws-bedrock-reasoning-models",
            "aws-bedrock-reasoning-profile-policy",
            "aws-bedrock-reasoning-guardrail-policy",
        },
        # the LiteLLM gateway: every endpoint of its own that Bedrock serves, nothing else (drafts is not its)
        "aws-identity-gateway": {
            f"aws-bedrock-{e}-{p}"
            for e in ("chat", "reasoning", "embed")
            for p in ("models", "profile-policy", "guardrail-policy")
            if not (e == "embed" and p == "guardrail-policy")
        },
    }


def test_dev_does_not_protect_state(project: Project) -> None:
    graph = stack_graph(project, "dev")
    for token in ("aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:cloudwatch/logGroup:LogGroup"):
        assert by_type(graph, token) and not any(r.protect for r in by_type(graph, token)), token
    [odcr] = by_type(graph, "aws:ec2/capacityReservation:CapacityReservation")
    assert odcr.inputs["region"] == "eu-north-1" and odcr.inputs["availabilityZone"] == "eu-north-1b"


def test_a_declared_account_id_is_used_without_asking_sts(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    original = synth_module.PreviewMocks.call

    def spy(self: Any, args: Any) -> Any:
        asked.append(args.token)
        return original(self, args)

    monkeypatch.setattr(synth_module.PreviewMocks, "call", spy)
    config = pulumi_config_map(read_stack_file(project.stack_file("dev")))
    aws = json.loads(config["crosscloud:aws"]) | {"account_id": "210987654321"}
    graph = synthesize(project, "dev", config | {"crosscloud:aws": json.dumps(aws)})
    assert "aws:index/getCallerIdentity:getCallerIdentity" not in asked
    providers = by_type(graph, "pulumi:providers:aws")  # the stack's Region and a GPU pool's (eu-north-1)
    assert {p.inputs["region"] for p in providers} == {"eu-central-1", "eu-north-1"}
    for provider in providers:
        assert provider.inputs["allowedAccountIds"] == '["210987654321"]'  # provider config travels as JSON text
    for key in by_type(graph, "aws:kms/key:Key"):
        principal = json.loads(key.inputs["policy"])["Statement"][0]["Principal"]
        assert principal == {"AWS": "arn:aws:iam::210987654321:root"}
