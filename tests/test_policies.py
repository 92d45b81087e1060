"""The residency pack, run as its own process over the analyzer gRPC interface: for every rule a compliant, a
violating and an unknown-value case (one graph holds them all: pack start-up dominates the cost)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crosscloud.engine.check import check_graph
from crosscloud.engine.graph import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN, Resource
from crosscloud.engine.project import Project
from crosscloud.engine.violations import CheckResult
from crosscloud.policies.rules import serving
from crosscloud.policies.rules.base import ResourceView, RuleContext
from crosscloud.policies.rules.residency import RULES, check_aws_region
from crosscloud.policies.rules.where import aws_region_of
from tests.graphs import graph, provider, resource

ACCOUNT = "123456789012"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
ACCOUNT_TYPE = "azure-native:cognitiveservices:Account"
RG = "azure-native:resources:ResourceGroup"
RG_OK = "rg-ok"


def by_resource(result: CheckResult, policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for v in result.violations:
        if v.policy == policy:
            found.setdefault(v.urn.split("::")[-1], []).append(v.message)
    return found


def with_deps(res: Resource, **deps: Resource) -> Resource:
    res.property_dependencies = {key: [target.urn] for key, target in deps.items()}
    return res


def iam_policy(name: str, via: Resource, *resources: str, action: str = "bedrock:InvokeModel") -> Resource:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": list(resources)}]}
    return resource("aws:iam/policy:Policy", name, via, policy=json.dumps(doc))


def arn(region: str, kind: str, ident: str) -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT if kind != 'foundation-model' else ''}:{kind}/{ident}"


def deployment(name: str, account: str, sku: str, **properties: Any) -> Resource:
    props = {"model": {"format": "OpenAI", "name": "gpt-4.1", "version": "2025-04-14"}, **properties}
    return resource(
        DEPLOYMENT,
        name,
        None,
        accountName=account,
        resourceGroupName="rg-ok",
        deploymentName=name,
        sku={"name": sku, "capacity": 10},
        properties=props,
    )


def residency_cases() -> list[Resource]:
    eu = provider("aws", "aws-eu", region="eu-central-1")
    ie = provider("aws", "aws-ie", region="eu-west-1")
    us = provider("aws", "aws-us", region="us-east-1")
    unknown = provider("aws", "aws-unknown", region=UNKNOWN)
    az_eu = provider("azure-native", "az-eu", location="swedencentral")
    az_uk = provider("azure-native", "az-uk", location="uksouth")
    az_none = provider("azure-native", "az-none")
    rg_uk = resource(RG, "rg-uk", az_eu, resourceGroupName="rg-uk", location="uksouth")
    rg_ok = resource(RG, "rg-ok", az_eu, resourceGroupName="rg-ok", location="swedencentral")
    logs_eu = resource("aws:s3/bucket:Bucket", "logs-eu", eu, bucket="logs-eu")
    logs_ie = resource("aws:s3/bucket:Bucket", "logs-ie", ie, bucket="logs-ie")
    logs_us = resource("aws:s3/bucket:Bucket", "logs-us", us, bucket="logs-us")
    accounts = [
        resource(ACCOUNT_TYPE, f"acct-{where}", az_eu, accountName=f"ai-{where}", resourceGroupName=RG_OK, location=loc)
        for where, loc in (("se", "swedencentral"), ("ch", "switzerlandnorth"), ("uk", "uksouth"), ("x", UNKNOWN))
    ]
    logging = "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
    ml_endpoint = "azure-native:machinelearningservices:ServerlessEndpoint"
    cohere = {"modelSettings": {"modelId": "azureml://registries/azureml-cohere/models/Cohere-embed-v3-multilingual"}}
    return [
        eu,
        ie,
        us,
        unknown,
        az_eu,
        az_uk,
        az_none,
        # aws-region-allowed
        resource("aws:ec2/vpc:Vpc", "vpc-ok", eu, cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-us", us, cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-own-region", eu, region="eu-west-2", cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-unknown", unknown, cidrBlock="10.0.0.0/16"),
        resource("aws:ec2/vpc:Vpc", "vpc-no-provider", None, cidrBlock="10.0.0.0/16"),
        # azure-location-allowed
        rg_ok,
        rg_uk,
        resource(RG, "rg-display-name", az_eu, location="West Europe"),
        resource(RG, "rg-norway", az_eu, location="norwayeast"),
        resource(RG, "rg-typo", az_eu, location="swedencentrall"),
        resource(RG, "rg-unknown", az_eu, location=UNKNOWN),
        resource(RG, "rg-global", az_eu, location="global"),
        resource(RG, "rg-from-uk-provider", az_uk),
        resource("azure-native:privatedns:PrivateZone", "dns-global", az_eu, location="global"),
        resource("azure-native:network:Subnet", "subnet-in-ok-rg", az_uk, resourceGroupName="rg-ok"),
        resource("azure-native:network:Subnet", "subnet-in-uk-rg", az_eu, resourceGroupName="rg-uk"),
        with_deps(
            resource("azure-native:network:Subnet", "subnet-dep-uk-rg", az_eu, resourceGroupName=UNKNOWN),
            resourceGroupName=rg_uk,
        ),
        resource("azure-native:network:Subnet", "subnet-unknown-rg", az_eu, resourceGroupName=UNKNOWN),
        resource("azure-native:authorization:RoleAssignment", "role-locationless", az_none, scope="/subscriptions/x"),
        resource("azure-native:network:NetworkSecurityGroup", "nsg-nowhere", az_eu, securityRules=[]),
        resource(ACCOUNT_TYPE, "acct-in-uk-rg", az_eu, accountName="ai-uk-rg", resourceGroupName="rg-uk"),
        # azure-deployment-sku-allowed, azure-datazone-needs-member-region, azure-spillover-same-class
        *accounts,
        deployment("dep-standard-se", "ai-se", "Standard"),
        deployment("dep-global-se", "ai-se", "GlobalStandard"),
        deployment("dep-dz-se", "ai-se", "DataZoneStandard"),
        deployment("dep-dz-ch", "ai-ch", "DataZoneStandard"),
        deployment("dep-dz-uk", "ai-uk", "DataZoneStandard"),
        deployment("dep-dz-unknown", "ai-x", "DataZoneStandard"),
        deployment("dep-bogus-sku", "ai-se", "SuperStandard"),
        deployment("dep-ptu-ok", "ai-se", "ProvisionedManaged", spilloverDeploymentName="dep-standard-se"),
        deployment("dep-ptu-to-global", "ai-se", "ProvisionedManaged", spilloverDeploymentName="dep-global-se"),
        deployment("dep-ptu-missing", "ai-se", "ProvisionedManaged", spilloverDeploymentName="nowhere"),
        deployment("dep-ptu-unknown", "ai-se", "ProvisionedManaged", spilloverDeploymentName=UNKNOWN),
        # azure-serverless-endpoint-region
        resource(ml_endpoint, "maas-ok", az_eu, location="swedencentral", properties=cohere),
        resource(ml_endpoint, "maas-us", az_eu, location="eastus", properties=cohere),
        resource(ml_endpoint, "maas-unknown", az_eu, location=UNKNOWN, properties=cohere),
        # bedrock-profile-prefix-allowed: inference profiles, provisioned throughput, env vars, IAM documents
        resource(
            "aws:bedrock/inferenceProfile:InferenceProfile",
            "ip-in-region",
            eu,
            modelSource={"copyFrom": arn("eu-central-1", "foundation-model", "openai.gpt-oss-120b-1:0")},
        ),
        resource(
            "aws:bedrock/inferenceProfile:InferenceProfile",
            "ip-us",
            eu,
            modelSource={"copyFrom": arn("eu-central-1", "inference-profile", f"us.{SONNET}")},
        ),
        resource(
            "aws:bedrock/inferenceProfile:InferenceProfile",
            "ip-global",
            eu,
            modelSource={"copyFrom": arn("eu-central-1", "inference-profile", f"global.{SONNET}")},
        ),
        resource(
            "aws:bedrock/inferenceProfile:InferenceProfile",
            "ip-apac",
            eu,
            modelSource={"copyFrom": arn("eu-central-1", "inference-profile", "apac.amazon.nova-pro-v1:0")},
        ),
        resource(
            "aws:bedrock/inferenceProfile:InferenceProfile",
            "ip-eu",
            eu,
            modelSource={"copyFrom": arn("eu-central-1", "inference-profile", f"eu.{SONNET}")},
        ),
        resource(
            "aws:bedrock/inferenceProfile:InferenceProfile",
            "ip-eu-from-london",
            eu,
            modelSource={"copyFrom": arn("eu-west-2", "inference-profile", f"eu.{SONNET}")},
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-eu-uncatalogued",
            eu,
            environment={"variables": {"MODEL_ID": "eu.meta.llama3-2-3b-instruct-v1:0"}},
        ),
        resource(
            "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput",
            "pt-us",
            eu,
            modelArn=arn("us-east-1", "foundation-model", "amazon.nova-pro-v1:0"),
            modelUnits=1,
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-eu-profile-env",
            eu,
            environment={"variables": {"MODEL_ID": f"eu.{SONNET}"}},
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-in-region-env",
            eu,
            environment={"variables": {"MODEL_ID": "amazon.titan-embed-text-v2:0", "HOST": "openai.azure.com"}},
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-unknown-region",
            None,
            region=UNKNOWN,
            environment={"variables": {"MODEL_ID": "amazon.titan-embed-text-v2:0"}},
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-secret-env",
            eu,
            environment={"variables": {"MODEL_ID": {SECRET_SIG_KEY: SECRET_SIG, "value": f"us.{SONNET}"}}},
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-unknown-prefix",
            eu,
            environment={"variables": {"MODEL_ID": f"xx.{SONNET}"}},
        ),
        resource(
            "aws:ecs/taskDefinition:TaskDefinition",
            "task-us-profile",
            eu,
            containerDefinitions=json.dumps([{"environment": [{"name": "MODEL", "value": f"us.{SONNET}"}]}]),
        ),
        iam_policy("pol-eu", eu, arn("eu-central-1", "foundation-model", "amazon.titan-embed-text-v2:0")),
        iam_policy("pol-global", eu, f"arn:aws:bedrock:::foundation-model/{SONNET}"),
        resource("aws:iam/policy:Policy", "pol-unknown", eu, policy=UNKNOWN),
        # guardrail-profile-in-residency
        resource("aws:bedrock/guardrail:Guardrail", "gr-local", eu, blockedInputMessaging="blocked"),
        resource(
            "aws:bedrock/guardrail:Guardrail",
            "gr-us",
            eu,
            crossRegionConfig={"guardrailProfileIdentifier": "us.guardrail.v1:0"},
        ),
        resource(
            "aws:bedrock/guardrail:Guardrail",
            "gr-eu",
            eu,
            crossRegionConfig={
                "guardrailProfileIdentifier": arn("eu-central-1", "guardrail-profile", "eu.guardrail.v1:0")
            },
        ),
        resource(
            "aws:bedrock/guardrail:Guardrail",
            "gr-unknown",
            eu,
            crossRegionConfig={"guardrailProfileIdentifier": UNKNOWN},
        ),
        # bedrock-logging-destination-in-region, replication-stays-in-residency
        logs_eu,
        logs_ie,
        logs_us,
        resource(logging, "log-ok", eu, loggingConfig={"s3Config": {"bucketName": "logs-eu"}}),
        resource(logging, "log-other-region", eu, loggingConfig={"s3Config": {"bucketName": "logs-ie"}}),
        resource(logging, "log-external", eu, loggingConfig={"cloudwatchConfig": {"logGroupName": "not-ours"}}),
        with_deps(
            resource(logging, "log-dep", eu, loggingConfig={"s3Config": {"bucketName": UNKNOWN}}),
            loggingConfig=logs_eu,
        ),
        resource(logging, "log-unknown", eu, loggingConfig={"s3Config": {"bucketName": UNKNOWN}}),
        *[
            resource(
                "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
                f"repl-{name}",
                eu,
                bucket="logs-eu",
                rules=[{"status": "Enabled", "destination": {"bucket": target}}],
            )
            for name, target in (("ok", "arn:aws:s3:::logs-ie"), ("us", "arn:aws:s3:::logs-us"), ("unknown", UNKNOWN))
        ],
        # policy-coverage, data-path-destination-in-residency, iam-attached-policy-in-residency,
        # bedrock-application-profile-in-stack (the red-team suite, tests/test_redteam.py, holds the classes)
        resource("aws-native:lambda:Function", "native-fn", eu, functionName="fn"),
        resource("aws:dynamodb/table:Table", "table-eu-replica", eu, replicas=[{"regionName": "eu-west-1"}]),
        resource("aws:dynamodb/table:Table", "table-us-replica", eu, replicas=[{"regionName": "us-east-1"}]),
        resource(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "attach-readonly",
            eu,
            role="app",
            policyArn="arn:aws:iam::aws:policy/AmazonBedrockReadOnly",
        ),
        resource(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "attach-full",
            eu,
            role="app",
            policyArn="arn:aws:iam::aws:policy/AmazonBedrockFullAccess",
        ),
        resource(
            "aws:lambda/function:Function",
            "fn-external-app-profile",
            eu,
            environment={"variables": {"MODEL": arn("eu-central-1", "application-inference-profile", "ext123")}},
        ),
    ]


@pytest.fixture(scope="module")
def residency_result(project: Project) -> CheckResult:
    pack = project.root / "policies" / "residency"
    return check_graph(graph(residency_cases()), [pack], start_timeout=60, rpc_timeout=60)


def test_pack_metadata(residency_result: CheckResult) -> None:
    [pack] = residency_result.packs
    assert pack.name == "crosscloud-residency" and pack.version == "0.2.0"
    assert set(pack.policies) == {r.id for r in (*RULES, *serving.RESIDENCY_RULES)}
    assert len(pack.policies) == 17
    for meta in pack.policies.values():
        assert meta.enforcement_level == "mandatory" and meta.remediation and meta.description
        assert meta.severity in ("high", "critical")
    assert pack.policies["azure-location-allowed"].policy_type == "stack"
    assert pack.policies["aws-region-allowed"].policy_type == "resource"


def test_aws_region_allowed(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "aws-region-allowed")
    assert "vpc-ok" not in found and "aws-eu" not in found
    assert found["vpc-us"] == [
        "AWS region us-east-1 is outside residency 'eu' (crosscloud:aws.region); allowed: eu-central-1, eu-north-1, "
        "eu-south-1, eu-south-2, eu-west-1, eu-west-3, eusc-de-east-1"
    ]
    assert "aws-us" in found  # the provider itself is checked
    assert found["vpc-own-region"][0].startswith("AWS region eu-west-2 is outside residency 'eu'")
    assert found["vpc-unknown"] == [
        "cannot be verified at preview: region is unknown; aws-region-allowed fails closed on unknown values"
    ]
    assert "residency cannot be proven" in found["vpc-no-provider"][0]


def test_azure_location_from_resource_group_and_provider(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "azure-location-allowed")
    for passing in ("rg-ok", "rg-display-name", "dns-global", "az-eu", "subnet-in-ok-rg"):
        assert passing not in found, passing
    assert found["rg-norway"][0].startswith("Azure location norwayeast is outside residency 'eu'")
    assert "is not a known region" in found["rg-typo"][0]
    assert "rg-unknown" in found and "fails closed" in found["rg-unknown"][0]
    assert "rg-global" in found, "'global' is only accepted for DNS resource types"
    assert "az-uk" in found
    assert "from its provider" in found["rg-from-uk-provider"][0]
    assert "Azure location uksouth (from its resource group rg-uk) is outside" in found["subnet-in-uk-rg"][0]
    assert (
        "Azure location uksouth (from its resource group rg-uk) is outside" in found["subnet-dep-uk-rg"][0]
    )  # via the property dependency
    assert found["subnet-unknown-rg"] == [
        "cannot be verified at preview: resourceGroupName is unknown; azure-location-allowed fails closed"
    ]
    assert "no Azure location on the resource" in found["nsg-nowhere"][0], "not even from the provider"
    assert "role-locationless" not in found, "an extension resource has no location of its own"
    assert "Azure location uksouth (from its resource group rg-uk) is outside" in found["acct-in-uk-rg"][0], (
        "its own name is not a parent"
    )


def test_azure_deployment_sku(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "azure-deployment-sku-allowed")
    assert "dep-standard-se" not in found and "dep-ptu-ok" not in found
    assert found["dep-global-se"] == [
        "deployment SKU GlobalStandard (global) in swedencentral may process prompts in any Azure region, outside "
        "residency 'eu'; allowed here: Standard, ProvisionedManaged"
    ]
    # the EU data zone spans Norway and Switzerland, so DataZone is not EU-only
    assert "norwayeast" in found["dep-dz-se"][0] and "switzerlandnorth" in found["dep-dz-se"][0]
    assert "dep-dz-ch" in found and "dep-dz-uk" in found
    assert "any Azure region" in found["dep-dz-uk"][0]
    assert "fails closed" in found["dep-dz-unknown"][0]
    assert "not a known SKU" in found["dep-bogus-sku"][0]


def test_azure_datazone_needs_member_region(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "azure-datazone-needs-member-region")
    assert "dep-dz-se" not in found and "dep-standard-se" not in found
    assert found["dep-dz-ch"][0].startswith(
        "DataZoneStandard deployment in switzerlandnorth (CH) is outside the member states of the eu data zone"
    )
    assert "belongs to no Microsoft data zone" in found["dep-dz-uk"][0]
    assert "fails closed" in found["dep-dz-unknown"][0]


def test_azure_spillover_same_class(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "azure-spillover-same-class")
    assert "dep-ptu-ok" not in found
    assert found["dep-ptu-to-global"] == [
        "spillover from ProvisionedManaged (regional) to dep-global-se GlobalStandard (global) changes where prompts "
        "are processed; allowed: a spillover target with a regional SKU"
    ]
    assert "is not a deployment of the same account" in found["dep-ptu-missing"][0]
    assert "fails closed" in found["dep-ptu-unknown"][0]


def test_azure_serverless_endpoint_region(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "azure-serverless-endpoint-region")
    assert "maas-ok" not in found
    assert found["maas-us"][0].startswith("serverless endpoint for azureml://registries/azureml-cohere/models/")
    assert "in eastus (from its location) processes prompts outside residency 'eu'" in found["maas-us"][0]
    assert "fails closed" in found["maas-unknown"][0]


def test_bedrock_model_references(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "bedrock-profile-prefix-allowed")
    for passing in ("ip-in-region", "fn-in-region-env", "pol-eu", "vpc-ok"):
        assert passing not in found, passing
    assert "us. profile has no recorded route from eu-central-1" in found["ip-us"][0]
    assert "global. profile routes to any commercial Region" in found["ip-global"][0]
    assert "apac. profile has no recorded route from eu-central-1" in found["ip-apac"][0]
    # eu. from an EU member Region stays in the EU for Sonnet 4.5 (the model card's row); from London it does not
    assert "ip-eu" not in found and "fn-eu-profile-env" not in found
    assert "eu. profile from eu-west-2 may route to eu-west-2, outside residency 'eu'" in found["ip-eu-from-london"][0]
    # a model the catalog does not know falls back to the prefix union: London, Zurich and Tel Aviv
    assert "eu-central-2, eu-west-2, il-central-1, outside residency 'eu'" in found["fn-eu-uncatalogued"][0]
    assert "environment.variables.MODEL_ID" in found["fn-eu-uncatalogued"][0]
    assert "runs in us-east-1, outside residency 'eu'" in found["pt-us"][0]
    assert "us. profile" in found["task-us-profile"][0] and "containerDefinitions" in found["task-us-profile"][0]
    assert "unknown profile prefix 'xx' (fails closed)" in found["fn-unknown-prefix"][0]
    # a secret is plaintext to a pack (pulumi_policy unwraps it); reports redact it (tests/test_reports.py)
    assert "environment.variables.MODEL_ID: us. profile" in found["fn-secret-env"][0]
    assert "fails closed" in found["fn-unknown-region"][0]
    assert "region-less (global routing)" in found["pol-global"][0]
    # An IAM document unknown at preview may embed values another resource's creation yields: CrossGuard checks it
    # again, known, during `pulumi up` before the policy exists, so preview reports nothing for it (a note says so).
    assert "pol-unknown" not in found


def test_iam_no_global_inference_grant(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "iam-no-global-inference-grant")
    assert set(found) == {"pol-global"}, "pol-unknown is deferred to `pulumi up`"
    assert "allows global cross-Region inference" in found["pol-global"][0]


def test_guardrail_profile_in_residency(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "guardrail-profile-in-residency")
    assert "gr-local" not in found
    assert "may evaluate content in" in found["gr-us"][0] and "us-east-1" in found["gr-us"][0]
    assert "eu-central-2, eu-west-2, il-central-1, outside residency 'eu'" in found["gr-eu"][0]
    assert "fails closed" in found["gr-unknown"][0]


def test_logging_destination_in_region(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "bedrock-logging-destination-in-region")
    assert "log-ok" not in found and "log-dep" not in found
    assert found["log-other-region"] == [
        "invocation logs for eu-central-1 go to S3 bucket logs-ie in eu-west-1; allowed: the same Region (eu-central-1)"
    ]
    assert "this stack does not manage" in found["log-external"][0]
    assert "(unknown) that this stack does not manage" in found["log-unknown"][0]


def test_replication_stays_in_residency(residency_result: CheckResult) -> None:
    found = by_resource(residency_result, "replication-stays-in-residency")
    assert "repl-ok" not in found
    assert "replicates to bucket logs-us in us-east-1, outside residency 'eu'" in found["repl-us"][0]
    assert "fails closed" in found["repl-unknown"][0]


def test_new_fail_closed_rules(residency_result: CheckResult) -> None:
    coverage = by_resource(residency_result, "policy-coverage")
    assert set(coverage) == {"native-fn"}, "every other case is of a modelled type"
    assert "aws-native:lambda:Function (aws-native) is not translated" in coverage["native-fn"][0]
    paths = by_resource(residency_result, "data-path-destination-in-residency")
    assert "table-eu-replica" not in paths
    assert "replicas[0] copies the table to us-east-1, outside residency 'eu'" in paths["table-us-replica"][0]
    attached = by_resource(residency_result, "iam-attached-policy-in-residency")
    assert set(attached) == {"attach-full"}
    assert "attached AWS managed policy AmazonBedrockFullAccess grants" in attached["attach-full"][0]
    profiles = by_resource(residency_result, "bedrock-application-profile-in-stack")
    assert set(profiles) == {"fn-external-app-profile"}
    pinned = [v for v in residency_result.violations if v.policy == "residency-pinned"]
    assert [v.message.split(",")[0] for v in pinned] == ["the policy config pins no residency set"]


def test_every_violation_is_mandatory_and_attributed(residency_result: CheckResult) -> None:
    assert residency_result.violations
    assert not any("can't be known during preview" in v.message for v in residency_result.violations)
    assert all(v.enforcement_level == "mandatory" and v.urn for v in residency_result.violations)
    assert {v.policy for v in residency_result.violations} == {r.id for r in RULES}
    assert any(n.startswith("deferred to `pulumi up`") and "pol-unknown" in n for n in residency_result.notes)


def test_an_unknown_iam_document_is_deferred_only_at_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    """During `pulumi up` the document is known; if it were not, the rule fails closed there too. A property the rule
    does not defer fails closed at preview as well."""
    from crosscloud.catalog import load_catalog
    from crosscloud.engine.graph import UNKNOWN
    from crosscloud.policies.rules.base import ResourceView, RuleContext, evaluate
    from crosscloud.policies.rules.residency import AWS_REGION_ALLOWED, IAM_NO_GLOBAL_INFERENCE_GRANT

    catalog = load_catalog()
    ctx = RuleContext(catalog=catalog, residency=catalog.residency("eu"), residency_name="eu", config={})
    view = ResourceView(type="aws:iam/policy:Policy", props={"policy": UNKNOWN}, name="pol")
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    assert list(evaluate(IAM_NO_GLOBAL_INFERENCE_GRANT, view, ctx)) == []
    monkeypatch.setenv("PULUMI_DRY_RUN", "false")
    [message] = evaluate(IAM_NO_GLOBAL_INFERENCE_GRANT, view, ctx)
    assert "fails closed" in message
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    region = ResourceView(type="aws:ec2/vpc:Vpc", props={"region": UNKNOWN}, name="vpc")
    [message] = evaluate(AWS_REGION_ALLOWED, region, ctx)
    assert "cannot be verified at preview: region is unknown" in message


def test_deferred_documents_match_between_engine_and_rules() -> None:
    """The engine's note names the documents the rules defer: one list, kept equal here (the engine imports no rule)."""
    from crosscloud.engine.check import DEFERRED_DOCUMENT_INPUTS
    from crosscloud.policies.rules.base import DOCUMENT_PROPERTIES

    assert DEFERRED_DOCUMENT_INPUTS == DOCUMENT_PROPERTIES


def test_stack_rules_defer_the_same_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """guardrail-attached and ai-diagnostics-enabled read IAM documents too: the same deferral, not a failure."""
    from crosscloud.catalog import load_catalog
    from crosscloud.engine.graph import UNKNOWN
    from crosscloud.policies.rules.base import ResourceView, RuleContext, StackView
    from crosscloud.policies.rules.security import check_diagnostics, check_guardrails

    catalog = load_catalog()
    ctx = RuleContext(catalog=catalog, residency=catalog.residency("eu"), residency_name="eu", config={})
    unknown = ResourceView(type="aws:iam/policy:Policy", props={"policy": UNKNOWN}, name="pol", urn="u1")
    invoke = json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:x"}]}
    )
    known = ResourceView(type="aws:iam/policy:Policy", props={"policy": invoke}, name="known", urn="u2")
    stack = StackView((unknown, known))
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    for check in (check_guardrails, check_diagnostics):
        assert [view.name for view, _ in check(stack, ctx)] == ["known"], check.__name__
    monkeypatch.setenv("PULUMI_DRY_RUN", "false")
    for check in (check_guardrails, check_diagnostics):
        assert sorted(view.name for view, _ in check(stack, ctx)) == ["known", "pol"], check.__name__


def test_europe_accepts_eu_profiles_and_policy_config_overrides(project: Project) -> None:
    """Under 'europe' (EEA + CH + UK) an eu. profile routes inside the set; us. still leaves it. The policy config's
    residency overrides the stack's, and a missing residency set fails closed."""
    eu = provider("aws", "aws-eu", region="eu-central-1")
    cases = [
        eu,
        resource("aws:lambda/function:Function", "fn-eu", eu, environment={"variables": {"M": f"eu.{SONNET}"}}),
        resource("aws:lambda/function:Function", "fn-us", eu, environment={"variables": {"M": f"us.{SONNET}"}}),
    ]
    pack = [project.root / "policies" / "residency"]
    result = check_graph(graph(cases), pack, {"bedrock-profile-prefix-allowed": {"residency": "europe"}})
    assert set(by_resource(result, "bedrock-profile-prefix-allowed")) == {"fn-us"}
    missing = check_graph(graph(cases, residency=None), pack, {"all": "advisory"})
    assert {v.urn.split("::")[-1] for v in missing.violations if v.policy == "aws-region-allowed"} == {
        "aws-eu",
        "fn-eu",
        "fn-us",
    }
    region = [v for v in missing.violations if v.policy != "residency-pinned"]
    assert all("no residency set is configured" in v.message for v in region)
    assert all(v.enforcement_level == "advisory" for v in missing.violations)


def test_region_resolution_reads_what_the_provider_reads(catalog, monkeypatch) -> None:
    """Without a provider the engine builds the default one from `aws:region`; `crosscloud:aws.region` is never read
    by the provider, so it never decides where a resource runs. A provider without a region reads the environment at
    deploy time: unknown here."""
    import pulumi.runtime

    ctx = RuleContext(catalog=catalog, residency=catalog.residency("eu"), residency_name="eu", config={})
    bucket = ResourceView("aws:s3/bucket:Bucket", {})
    monkeypatch.setattr(pulumi.runtime, "get_config", lambda key: {"aws:region": "us-west-2"}.get(key))
    assert aws_region_of(bucket, ctx) == "us-west-2"
    monkeypatch.setattr(
        pulumi.runtime, "get_config", lambda key: {"crosscloud:aws": '{"region": "eu-north-1"}'}.get(key)
    )
    assert aws_region_of(bucket, ctx) is None
    [message] = check_aws_region(bucket, ctx)
    assert "crosscloud:aws.region is not read by the provider" in message
    on_default = ResourceView("aws:s3/bucket:Bucket", {}, "pulumi:providers:aws", {"version": "7.51.1"})
    assert aws_region_of(on_default, ctx) is None, "the default provider with no aws:region reads AWS_REGION"
