"""AWS components under the SDK mock monitor: the inputs each child would send to the engine."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from typing import Any

import pytest

from crosscloud.catalog import Catalog
from crosscloud.components.aws import (
    AwsContext,
    AwsIdentity,
    AwsIdentityArgs,
    AwsNetwork,
    AwsNetworkArgs,
    BedrockAccess,
    BedrockAccessArgs,
    BedrockEndpoint,
    BedrockInvocationLogging,
    GpuCapacity,
    GpuCapacityArgs,
    InvocationLoggingArgs,
    WorkloadAccess,
)
from crosscloud.components.providers import aws_provider, with_provider
from crosscloud.declaration.spec import (
    AwsGuardrail,
    AwsInvocationLogging,
    AwsProvisionedThroughput,
    AwsSettings,
    DeniedTopic,
    GithubCi,
    GpuReservation,
)
from crosscloud.engine.graph import UNKNOWN, Resource
from crosscloud.engine.synth import record

TAGS = {"owner": "ml-platform", "managed-by": "crosscloud"}
ACCOUNT = "123456789012"
SONNET = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
CTX = AwsContext(partition="aws", region="eu-north-1", account=ACCOUNT, prefix="crosscloud-test")


def run(body) -> list[Resource]:
    resources, _ = record("crosscloud", "test", {}, body)
    return resources


def of_type(resources: list[Resource], token: str) -> list[Resource]:
    return [r for r in resources if r.type == token]


def one(resources: list[Resource], token: str, name: str | None = None) -> Resource:
    found = [r for r in of_type(resources, token) if name is None or r.name == name]
    assert len(found) == 1, f"{token} {name}: {[r.name for r in found]}"
    return found[0]


def provider_opts(region: str = "eu-north-1"):
    return with_provider(aws_provider("aws", AwsSettings(region=region)))


# -- network ---------------------------------------------------------------------------------------------------------
def network(protect: bool = False, optional: tuple[str, ...] = (), policy: Any = None) -> list[Resource]:
    def body() -> None:
        AwsNetwork(
            "net",
            AwsNetworkArgs(
                ctx=CTX,
                cidr=ipaddress.IPv4Network("10.50.0.0/16"),
                zones=["eu-north-1a", "eu-north-1b", "eu-north-1c"],
                optional_services=optional,
                runtime_policy=policy,
                flow_log_retention_days=90,
                tags=TAGS,
                protect=protect,
            ),
            opts=provider_opts(),
        )

    return run(body)


def test_aws_network_is_private_with_one_subnet_per_zone() -> None:
    resources = network()
    component = one(resources, "crosscloud:aws:Network")
    vpc = one(resources, "aws:ec2/vpc:Vpc")
    assert vpc.parent == component.urn and vpc.name == "net-vpc"
    assert vpc.inputs["cidrBlock"] == "10.50.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["tags"] == {**TAGS, "Name": "net-vpc"}
    assert vpc.provider is not None and vpc.provider.endswith("pulumi:providers:aws::aws")
    subnets = sorted(of_type(resources, "aws:ec2/subnet:Subnet"), key=lambda s: s.inputs["availabilityZone"])
    assert [s.inputs["availabilityZone"] for s in subnets] == ["eu-north-1a", "eu-north-1b", "eu-north-1c"]
    assert [s.inputs["cidrBlock"] for s in subnets] == ["10.50.0.0/20", "10.50.16.0/20", "10.50.32.0/20"]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert all(s.inputs["vpcId"] == UNKNOWN for s in subnets), "the VPC ID is unknown at first preview"
    assert len(of_type(resources, "aws:ec2/routeTableAssociation:RouteTableAssociation")) == 3
    sg = one(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["ingress"] == [] and sg.inputs["egress"] == []
    assert not of_type(resources, "aws:ec2/internetGateway:InternetGateway")
    assert one(resources, "pulumi:providers:aws").inputs["region"] == "eu-north-1"


def test_bedrock_interface_endpoints_are_private_behind_an_https_only_group() -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    resources = network(optional=("bedrock-mantle",), policy=policy)
    endpoints = {r.inputs["serviceName"]: r for r in of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert set(endpoints) == {
        "com.amazonaws.eu-north-1.bedrock-runtime",
        "com.amazonaws.eu-north-1.bedrock",
        "com.amazonaws.eu-north-1.bedrock-mantle",
        "com.amazonaws.eu-north-1.s3",
    }
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup")
    [rule] = sg.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (
        "tcp",
        443,
        443,
        ["10.50.0.0/16"],
    )
    assert sg.inputs["egress"] == []
    subnet_urns = {s.urn for s in of_type(resources, "aws:ec2/subnet:Subnet")}
    for service in ("bedrock-runtime", "bedrock", "bedrock-mantle"):
        ep = endpoints[f"com.amazonaws.eu-north-1.{service}"]
        assert ep.inputs["vpcEndpointType"] == "Interface" and ep.inputs["privateDnsEnabled"] is True
        assert len(ep.inputs["subnetIds"]) == 3 and set(ep.property_dependencies["subnetIds"]) == subnet_urns
        assert ep.property_dependencies["securityGroupIds"] == [sg.urn]
    assert endpoints["com.amazonaws.eu-north-1.bedrock-runtime"].inputs["policy"] == policy
    assert "policy" not in endpoints["com.amazonaws.eu-north-1.bedrock-mantle"].inputs
    s3 = endpoints["com.amazonaws.eu-north-1.s3"]
    route_table = one(resources, "aws:ec2/routeTable:RouteTable")
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    assert s3.property_dependencies["routeTableIds"] == [route_table.urn]


def test_unknown_optional_endpoint_service_is_refused() -> None:
    with pytest.raises(Exception, match="unknown optional endpoint service"):
        network(optional=("bedrock-agent",))


@pytest.mark.parametrize("protect", [False, True])
def test_flow_logs_go_to_a_kms_encrypted_log_group_with_retention(protect: bool) -> None:
    resources = network(protect=protect)
    key = one(resources, "aws:kms/key:Key")
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup")
    flow = one(resources, "aws:ec2/flowLog:FlowLog")
    assert group.inputs["name"] == "/crosscloud/crosscloud-test/vpc-flow-logs"
    assert group.inputs["retentionInDays"] == 90
    assert group.property_dependencies["kmsKeyId"] == [key.urn]
    assert (key.protect, group.protect) == (protect, protect)
    assert key.inputs["enableKeyRotation"] is True
    key_policy = json.loads(key.inputs["policy"])
    [logs] = [s for s in key_policy["Statement"] if s["Sid"] == "CloudWatchLogsForStackLogGroups"]
    assert logs["Principal"] == {"Service": "logs.eu-north-1.amazonaws.com"}
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:eu-north-1:{ACCOUNT}:log-group:/crosscloud/crosscloud-test/vpc-flow-logs"
    ]
    assert flow.inputs["trafficType"] == "ALL" and flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.property_dependencies["logDestination"] == [group.urn]
    role = one(resources, "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:ec2:eu-north-1:{ACCOUNT}:vpc-flow-log/*"


# -- Bedrock access --------------------------------------------------------------------------------------------------
def offers(catalog: Catalog) -> dict[str, Any]:
    europe = catalog.residency("europe")
    eu = catalog.residency("eu")
    return {
        "chat": catalog.select_aws("claude-sonnet-4-5", "eu-north-1", europe),  # eu. profile
        "open": catalog.select_aws("gpt-oss-120b", "eu-north-1", eu),  # in-region
    }


def bedrock(catalog: Catalog, guardrail: AwsGuardrail | None = None, **extra: Any) -> list[Resource]:
    found = offers(catalog)

    def body() -> None:
        BedrockAccess(
            "br",
            BedrockAccessArgs(
                ctx=CTX,
                endpoints=[
                    BedrockEndpoint("chat", found["chat"]),
                    BedrockEndpoint("open", found["open"], extra.get("provisioned")),
                ],
                guardrail=guardrail or AwsGuardrail(),
                tags=TAGS,
                protect=extra.get("protect", False),
            ),
            opts=provider_opts(),
        )

    return run(body)


def test_application_profiles_copy_from_the_resolved_offering_with_cost_tags(catalog: Catalog) -> None:
    resources = bedrock(catalog)
    profiles = {r.inputs["name"]: r for r in of_type(resources, "aws:bedrock/inferenceProfile:InferenceProfile")}
    assert set(profiles) == {"crosscloud-test-chat", "crosscloud-test-open"}
    assert profiles["crosscloud-test-chat"].inputs["modelSource"] == {
        "copyFrom": f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:inference-profile/{SONNET}"
    }
    assert profiles["crosscloud-test-open"].inputs["modelSource"] == {
        "copyFrom": "arn:aws:bedrock:eu-north-1::foundation-model/openai.gpt-oss-120b-1:0"
    }
    assert profiles["crosscloud-test-chat"].inputs["tags"] == {
        **TAGS,
        "crosscloud-endpoint": "chat",
        "crosscloud-model": "claude-sonnet-4-5",
        "crosscloud-access": "crosscloud-test-chat",
    }


def test_model_policy_names_the_profile_and_each_destination_model_through_it(catalog: Catalog) -> None:
    resources = bedrock(catalog)
    policies = {r.inputs["name"]: r for r in of_type(resources, "aws:iam/policy:Policy")}
    chat = json.loads(policies["crosscloud-test-chat-models"].inputs["policy"])
    profile = f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:inference-profile/{SONNET}"
    first, second = chat["Statement"]
    assert first["Resource"] == [profile] and "Condition" not in first
    destinations = sorted(offers(catalog)["chat"].destinations)
    assert second["Resource"] == [
        f"arn:aws:bedrock:{r}::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0" for r in destinations
    ]
    assert second["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile}}
    assert first["Action"] == second["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert policies["crosscloud-test-chat-models"].inputs["path"] == "/crosscloud/"
    open_ = json.loads(policies["crosscloud-test-open-models"].inputs["policy"])
    assert open_["Statement"] == [
        {
            "Sid": "OpenInRegionModel",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": ["arn:aws:bedrock:eu-north-1::foundation-model/openai.gpt-oss-120b-1:0"],
        }
    ]
    # The application profile's ARN exists only after creation; its access tag names it, so the document is known.
    profile_policy = json.loads(policies["crosscloud-test-chat-profile"].inputs["policy"])
    assert profile_policy["Statement"][0] == {
        "Sid": "ChatApplicationProfile",
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": [f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:application-inference-profile/*"],
        "Condition": {"StringEquals": {"aws:ResourceTag/crosscloud-access": "crosscloud-test-chat"}},
    }


def test_guardrail_filters_prompt_attacks_pii_and_denied_topics_with_a_kms_key(catalog: Catalog) -> None:
    topic = DeniedTopic(name="investment-advice", definition="Advice on specific investments.", examples=["Buy X?"])
    resources = bedrock(catalog, AwsGuardrail(denied_topics=[topic], pii_entities=["EMAIL", "NAME"]))
    guardrail = one(resources, "aws:bedrock/guardrail:Guardrail")
    filters = {f["type"]: f for f in guardrail.inputs["contentPolicyConfig"]["filtersConfigs"]}
    assert set(filters) == {"SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"}
    assert filters["PROMPT_ATTACK"] == {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}
    assert filters["HATE"]["outputStrength"] == "HIGH"
    assert guardrail.inputs["sensitiveInformationPolicyConfig"]["piiEntitiesConfigs"] == [
        {"type": "EMAIL", "action": "ANONYMIZE"},
        {"type": "NAME", "action": "ANONYMIZE"},
    ]
    assert guardrail.inputs["topicPolicyConfig"]["topicsConfigs"] == [
        {
            "name": "investment-advice",
            "definition": "Advice on specific investments.",
            "examples": ["Buy X?"],
            "type": "DENY",
        }
    ]
    key = one(resources, "aws:kms/key:Key")
    assert guardrail.property_dependencies["kmsKeyArn"] == [key.urn]
    version = one(resources, "aws:bedrock/guardrailVersion:GuardrailVersion")
    assert version.property_dependencies["guardrailArn"] == [guardrail.urn]
    assert version.inputs["skipDestroy"] is True


def test_no_denied_topics_means_no_topic_policy(catalog: Catalog) -> None:
    guardrail = one(bedrock(catalog), "aws:bedrock/guardrail:Guardrail")
    assert "topicPolicyConfig" not in guardrail.inputs


def test_provisioned_throughput_with_a_commitment_is_always_protected(catalog: Catalog) -> None:
    committed = AwsProvisionedThroughput(model_units=2, commitment="SixMonths")
    throughput = one(
        bedrock(catalog, provisioned=committed), "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput"
    )
    assert throughput.inputs == {
        "provisionedModelName": "crosscloud-test-open",
        "modelArn": "arn:aws:bedrock:eu-north-1::foundation-model/openai.gpt-oss-120b-1:0",
        "modelUnits": 2,
        "commitmentDuration": "SixMonths",
        "tags": {
            **TAGS,
            "crosscloud-endpoint": "open",
            "crosscloud-model": "gpt-oss-120b",
            "crosscloud-access": "crosscloud-test-open",
        },
    }
    assert throughput.protect is True
    no_term = AwsProvisionedThroughput(model_units=1)
    assert (
        one(
            bedrock(catalog, provisioned=no_term), "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput"
        ).protect
        is False
    )
    prod = one(
        bedrock(catalog, provisioned=no_term, protect=True),
        "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput",
    )
    assert prod.protect is True


def test_prod_protects_the_guardrail_key(catalog: Catalog) -> None:
    assert one(bedrock(catalog, protect=True), "aws:kms/key:Key").protect is True
    assert one(bedrock(catalog), "aws:kms/key:Key").protect is False


def test_an_offering_of_another_region_is_refused(catalog: Catalog) -> None:
    offer = catalog.select_aws("gpt-oss-120b", "eu-central-1", catalog.residency("eu"))

    def body() -> None:
        BedrockAccess("br", BedrockAccessArgs(ctx=CTX, endpoints=[BedrockEndpoint("x", offer)]), opts=provider_opts())

    with pytest.raises(Exception, match="resolved for eu-central-1, stack Region is eu-north-1"):
        run(body)


# -- invocation logging ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("protect", [False, True])
def test_invocation_logging_writes_to_same_region_kms_bucket_and_log_group(protect: bool) -> None:
    def body() -> None:
        BedrockInvocationLogging(
            "logs",
            InvocationLoggingArgs(
                ctx=CTX, settings=AwsInvocationLogging(enabled=True, retention_days=400), tags=TAGS, protect=protect
            ),
            opts=provider_opts(),
        )

    resources = run(body)
    bucket_name = f"crosscloud-test-bedrock-logs-{ACCOUNT}-eu-north-1"
    bucket = one(resources, "aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == bucket_name and bucket.inputs["forceDestroy"] is False
    key = one(resources, "aws:kms/key:Key")
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert (bucket.protect, key.protect, group.protect) == (protect, protect, protect)
    assert group.inputs["name"] == "/crosscloud/crosscloud-test/bedrock-invocations"
    assert group.inputs["retentionInDays"] == 400 and group.property_dependencies["kmsKeyId"] == [key.urn]
    assert one(resources, "aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    [rule] = one(
        resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms" and rule["bucketKeyEnabled"] is True
    block = one(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    [lifecycle] = one(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert lifecycle["transitions"] == [{"days": 90, "storageClass": "GLACIER_IR"}]
    assert lifecycle["expiration"] == {"days": 730}
    bucket_policy = json.loads(one(resources, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    writer = bucket_policy["Statement"][0]
    assert writer["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert writer["Resource"] == f"arn:aws:s3:::{bucket_name}/bedrock/*"
    assert writer["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:bedrock:eu-north-1:{ACCOUNT}:*"
    config = one(resources, "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration")
    logging = config.inputs["loggingConfig"]
    assert logging["s3Config"] == {"bucketName": bucket_name, "keyPrefix": "bedrock"}
    assert logging["cloudwatchConfig"]["logGroupName"] == "/crosscloud/crosscloud-test/bedrock-invocations"
    role = one(resources, "aws:iam/role:Role")
    assert logging["cloudwatchConfig"]["roleArn"] == UNKNOWN and role.urn in config.dependencies
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


# -- GPU capacity ----------------------------------------------------------------------------------------------------
def gpu_entries() -> list[GpuReservation]:
    return [
        GpuReservation(
            name="serving",
            cloud="aws",
            instance_type="p5.48xlarge",
            count=2,
            zone="eu-north-1b",
            ends=dt.date(2031, 3, 31),
        ),
        GpuReservation(
            name="finetune",
            cloud="aws",
            instance_type="p5.48xlarge",
            count=1,
            zone="eu-north-1a",
            reservation="capacity-block",
            starts=dt.date(2030, 12, 7),
            ends=dt.date(2030, 12, 21),
        ),
    ]


@pytest.mark.parametrize("protect", [False, True])
def test_gpu_reservations_are_targeted_limited_and_usable_through_launch_templates(protect: bool) -> None:
    def body() -> None:
        GpuCapacity(
            "gpu", GpuCapacityArgs(ctx=CTX, reservations=gpu_entries(), tags=TAGS, protect=protect), provider_opts()
        )

    resources = run(body)
    odcr = one(resources, "aws:ec2/capacityReservation:CapacityReservation")
    assert odcr.inputs["instanceMatchCriteria"] == "targeted"
    assert (odcr.inputs["endDateType"], odcr.inputs["endDate"]) == ("limited", "2031-03-31T00:00:00Z")
    assert (odcr.inputs["instanceType"], odcr.inputs["instanceCount"], odcr.inputs["availabilityZone"]) == (
        "p5.48xlarge",
        2,
        "eu-north-1b",
    )
    assert odcr.inputs["tags"]["crosscloud-gpu"] == "serving" and odcr.protect is protect
    block = one(resources, "aws:ec2/capacityBlockReservation:CapacityBlockReservation")
    assert block.inputs["capacityBlockOfferingId"] == "cb-0offline0preview0"
    assert block.inputs["instancePlatform"] == "Linux/UNIX"
    assert block.protect is True and block.retain_on_delete is True, "a Capacity Block cannot be cancelled"
    assert block.ignore_changes == ["capacityBlockOfferingId"]
    templates = {r.name: r for r in of_type(resources, "aws:ec2/launchTemplate:LaunchTemplate")}
    serving, finetune = templates["gpu-serving-template"], templates["gpu-finetune-template"]
    assert serving.property_dependencies["capacityReservationSpecification"] == [odcr.urn]
    assert finetune.property_dependencies["capacityReservationSpecification"] == [block.urn]
    assert finetune.inputs["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert "instanceMarketOptions" not in serving.inputs
    assert serving.inputs["metadataOptions"]["httpTokens"] == "required"
    assert finetune.inputs["placement"] == {"availabilityZone": "eu-north-1a"}


def test_capacity_block_offering_is_asked_for_the_declared_window() -> None:
    calls: list[dict[str, Any]] = []
    from crosscloud.engine import synth

    original = synth.PreviewMocks.call

    def spy(self, args):  # type: ignore[no-untyped-def]
        calls.append({"token": args.token, **dict(args.args)})
        return original(self, args)

    synth.PreviewMocks.call = spy  # type: ignore[method-assign]
    try:
        run(lambda: GpuCapacity("gpu", GpuCapacityArgs(ctx=CTX, reservations=gpu_entries()[1:]), provider_opts()))
    finally:
        synth.PreviewMocks.call = original  # type: ignore[method-assign]
    [call] = [c for c in calls if c["token"] == "aws:ec2/getCapacityBlockOffering:getCapacityBlockOffering"]
    assert call["capacityDurationHours"] == 14 * 24
    assert (call["startDateRange"], call["endDateRange"]) == ("2030-12-07T00:00:00Z", "2030-12-21T00:00:00Z")
    assert (call["instanceType"], call["instanceCount"], call["region"]) == ("p5.48xlarge", 1, "eu-north-1")


# -- IAM -------------------------------------------------------------------------------------------------------------
def identity(ci: GithubCi | None = None) -> list[Resource]:
    def body() -> None:
        import pulumi

        AwsIdentity(
            "id",
            AwsIdentityArgs(
                ctx=CTX,
                workloads=(
                    WorkloadAccess(
                        "rag-api",
                        services=("ecs-tasks.amazonaws.com",),
                        roles=(f"arn:aws:iam::{ACCOUNT}:role/app",),
                        policy_arns=[pulumi.Output.from_input("arn:aws:iam::123456789012:policy/crosscloud/p1")],
                    ),
                ),
                ci=ci or GithubCi(github_repository="acme/ml-platform", branch="release"),
                tags=TAGS,
            ),
            opts=provider_opts(),
        )

    return run(body)


def test_ci_roles_trust_exact_github_subjects_and_audience() -> None:
    resources = identity()
    provider = one(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    roles = {r.inputs["name"]: r for r in of_type(resources, "aws:iam/role:Role")}
    expected = {
        "crosscloud-test-ci-preview": "repo:acme/ml-platform:pull_request",
        "crosscloud-test-ci-deploy": "repo:acme/ml-platform:ref:refs/heads/release",
    }
    for name, subject in expected.items():
        [statement] = json.loads(roles[name].inputs["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {
            "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        }
        assert statement["Condition"] == {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subject,
            }
        }
        assert provider.urn in roles[name].dependencies
    attachments = {
        r.inputs["policyArn"] for r in of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert {"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess"} <= attachments
    assert not of_type(resources, "aws:iam/user:User") and not of_type(resources, "aws:iam/accessKey:AccessKey")


def test_existing_oidc_provider_is_reused() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    resources = identity(GithubCi(github_repository="acme/x", oidc_provider_arn=arn))
    assert not of_type(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")


def test_workload_role_trusts_declared_principals_and_carries_only_its_policies() -> None:
    resources = identity()
    role = next(r for r in of_type(resources, "aws:iam/role:Role") if r.inputs["name"] == "crosscloud-test-rag-api")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [
        {"Service": ["ecs-tasks.amazonaws.com"]},
        {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/app"]},
    ]
    attached = [
        a
        for a in of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith("id-rag-api")
    ]
    assert [a.inputs["policyArn"] for a in attached] == ["arn:aws:iam::123456789012:policy/crosscloud/p1"]
