"""Self-hosted serving under the SDK mock monitor: the inputs each child sends (reservation IDs wired through, zones
equal, IMDSv2, no public IPs, internal load balancers), and the rendered cloud-init as a document."""

from __future__ import annotations

import base64
import datetime as dt
import json
from enum import Enum
from pathlib import Path
from typing import Any

import pulumi_azure_native as azure_native
import pytest
import yaml

from crosscloud.components import serving_host
from crosscloud.components.azure.serving import _on_curve, frontend_address, unheld_ssh_key
from crosscloud.declaration import load_declaration, pulumi_config_map, read_stack_file
from crosscloud.declaration.selfhosted import SelfHostedRoute
from crosscloud.engine.graph import UNKNOWN, Graph, Resource
from crosscloud.engine.project import Project
from crosscloud.engine.synth import synthesize
from tests.conftest import ROOT
from tests.iam_lint import lint

DIGEST = "sha256:014a95f21c9edf6abe0aea6b07353f96baa4ec291c427bb1176dc7c93a85845c"


@pytest.fixture(scope="module")
def dev(project: Project) -> Graph:
    return synthesize(project, "dev", pulumi_config_map(read_stack_file(project.stack_file("dev"))))


@pytest.fixture(scope="module")
def dev_graph(dev: Graph) -> list[Resource]:
    return dev.resources


def routes() -> tuple[SelfHostedRoute, SelfHostedRoute]:
    declaration = load_declaration(Path(ROOT) / "Pulumi.dev.yaml")
    endpoint = next(e for e in declaration.endpoints if e.name == "chat-oss")
    assert endpoint.aws_selfhosted is not None and endpoint.azure_selfhosted is not None
    return endpoint.aws_selfhosted, endpoint.azure_selfhosted


def one(resources: list[Resource], token: str, contains: str = "") -> Resource:
    found = [r for r in resources if r.type == token and contains in r.name]
    assert len(found) == 1, (token, contains, [r.name for r in found])
    return found[0]


def by_urn(resources: list[Resource]) -> dict[str, Resource]:
    return {r.urn: r for r in resources}


# -- cloud-init --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_the_cloud_init_is_yaml_naming_the_pinned_digest_and_revision(cloud: str) -> None:
    aws, azure = routes()
    route = aws if cloud == "aws" else azure
    if cloud == "aws":
        host = serving_host.aws_host(
            route, bucket="weights", region="eu-north-1", registry="1.dkr.ecr.eu-north-1.amazonaws.com",
            repository="r/vllm-openai", digest=DIGEST, log_group="/g", port=8000,
        )  # fmt: skip
    else:
        host = serving_host.azure_host(
            route, account="st1", container="weights", registry="acr1.azurecr.io", repository="vllm/vllm-openai",
            digest=DIGEST, port=8000,
        )  # fmt: skip
    text = serving_host.cloud_init(route, host)
    assert text.startswith("#cloud-config\n")
    document = yaml.safe_load(text)
    files = {f["path"]: f["content"] for f in document["write_files"]}
    unit = files["/etc/systemd/system/crosscloud-vllm.service"]
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert f"@{DIGEST} " in start and "vllm/vllm-openai:" not in start, "pulled by digest from the stack's registry"
    assert f"--model /models/openai/gpt-oss-120b/{route.revision}" in start
    assert "--env=HF_HUB_OFFLINE=1" in start and "--served-model-name gpt-oss-120b" in start
    assert "--tensor-parallel-size 1" in start and "--tool-call-parser openai" in start
    fetch = files["/usr/local/sbin/crosscloud-vllm-fetch"]
    assert route.revision in fetch and "huggingface.co" not in text, "weights come from the in-region store only"
    if cloud == "aws":
        assert "aws s3 sync s3://weights/openai/gpt-oss-120b/" in fetch and "--log-driver=awslogs" in start
    else:
        compile(fetch.split("\n", 1)[1], "fetch", "exec")  # the fetch script is valid Python
        assert "ACCOUNT, CONTAINER, PREFIX, DEST = 'st1', 'weights'" in fetch and ".blob.core.windows.net" in fetch
        assert "--log-driver=syslog" in start
    assert ["systemctl", "enable", "--now", "crosscloud-vllm.service"] in document["runcmd"]


# -- AWS ---------------------------------------------------------------------------------------------------------


def test_the_aws_fleet_launches_only_into_its_reservation_in_its_zone(dev_graph: list[Resource]) -> None:
    urns = by_urn(dev_graph)
    group = one(dev_graph, "aws:autoscaling/group:Group")
    reservation = one(dev_graph, "aws:ec2/capacityReservation:CapacityReservation", "experiments")
    template = one(dev_graph, "aws:ec2/launchTemplate:LaunchTemplate", "experiments")
    spec = group.inputs["capacityReservationSpecification"]
    assert spec["capacityReservationPreference"] == "capacity-reservations-only"
    assert group.property_dependencies["capacityReservationSpecification"] == [reservation.urn]
    assert group.property_dependencies["launchTemplate"] == [template.urn]
    assert template.property_dependencies["capacityReservationSpecification"] == [reservation.urn]
    assert group.inputs["minSize"] == group.inputs["maxSize"] == group.inputs["desiredCapacity"] == 1
    [subnet_urn] = group.property_dependencies["vpcZoneIdentifiers"]
    zone = urns[subnet_urn].inputs["availabilityZone"]
    assert zone == reservation.inputs["availabilityZone"] == template.inputs["placement"]["availabilityZone"]
    assert zone == "eu-north-1b"
    assert group.inputs["healthCheckType"] == "ELB"


def test_the_aws_launch_template_requires_imdsv2_and_gives_no_public_ip(dev_graph: list[Resource]) -> None:
    template = one(dev_graph, "aws:ec2/launchTemplate:LaunchTemplate", "experiments")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    [interface] = template.inputs["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    assert template.inputs["imageId"].startswith("resolve:ssm:/aws/service/deeplearning/")
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    document = yaml.safe_load(base64.b64decode(template.inputs["userData"]).decode())
    assert "write_files" in document
    serving_subnets = [r for r in dev_graph if r.type == "aws:ec2/subnet:Subnet" and "serving" in r.name]
    assert serving_subnets and all(s.inputs["mapPublicIpOnLaunch"] is False for s in serving_subnets)
    assert not [r for r in dev_graph if r.type in ("aws:ec2/eip:Eip", "aws:ec2/internetGateway:InternetGateway")]


def test_the_aws_load_balancer_is_internal_and_open_only_to_the_workload_subnets(dev_graph: list[Resource]) -> None:
    urns = by_urn(dev_graph)
    balancer = one(dev_graph, "aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["internal"] is True and balancer.inputs["loadBalancerType"] == "network"
    [group_urn] = balancer.property_dependencies["securityGroups"]
    ingress = urns[group_urn].inputs["ingress"]
    assert [rule["cidrBlocks"] for rule in ingress] == [["10.42.0.0/20"]], "the serving VPC's private subnet only"
    instances = one(dev_graph, "aws:ec2/securityGroup:SecurityGroup", "instance-sg")
    assert [r["securityGroups"] for r in instances.inputs["ingress"]] == [[UNKNOWN]]
    assert instances.property_dependencies["ingress"] == [group_urn]
    record = one(dev_graph, "aws:route53/record:Record", "serving")
    assert record.property_dependencies["aliases"] == [balancer.urn], "the private name points at the NLB"
    zone = one(dev_graph, "aws:route53/zone:Zone", "serving")
    assert zone.inputs["name"] == "chat-oss.crosscloud-dev-experiments.internal" and zone.inputs["vpcs"]
    targets = one(dev_graph, "aws:lb/targetGroup:TargetGroup")
    assert targets.inputs["healthCheck"]["path"] == "/health" and targets.inputs["healthCheck"]["protocol"] == "HTTP"


def test_the_aws_instance_profile_reads_one_bucket_prefix_and_one_repository(dev_graph: list[Resource]) -> None:
    policy = one(dev_graph, "aws:iam/rolePolicy:RolePolicy", "serving-chat-oss-role-access")
    document = json.loads(policy.inputs["policy"])
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["ReadWeights"]["Resource"].endswith(
        "-chat-oss-weights-123456789012/openai/gpt-oss-120b/b5c939de8f754692c1647ca79fbf85e8c1e70f8a/*"
    )
    assert by_sid["PullImage"]["Resource"].endswith(":repository/crosscloud-dev-experiments/chat-oss/vllm-openai")
    assert (
        by_sid["DecryptWeightsThroughS3"]["Condition"]["StringEquals"]["kms:ViaService"]
        == "s3.eu-north-1.amazonaws.com"
    )
    assert "ssmmessages:OpenDataChannel" in by_sid["SessionManagerChannels"]["Action"]
    registration = by_sid["SessionManagerRegistration"]["Condition"]["StringEquals"]
    assert registration == {"aws:ResourceTag/crosscloud-gpu": "experiments"}
    assert lint(document, "identity") == []
    bucket = one(dev_graph, "aws:s3/bucket:Bucket", "serving-chat-oss-weights")
    assert bucket.inputs["bucket"].startswith("crosscloud-dev-experiments-chat-oss-weights")
    block = one(dev_graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "serving")
    assert all(block.inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))
    encryption = one(
        dev_graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "serving"
    )
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    repository = one(dev_graph, "aws:ecr/repository:Repository")
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"


def test_the_serving_vpc_reaches_s3_ecr_logs_and_ssm_through_endpoints(dev_graph: list[Resource]) -> None:
    services = sorted(
        r.inputs["serviceName"].rsplit(".", 1)[-1] if "ecr" not in r.inputs["serviceName"] else r.inputs["serviceName"]
        for r in dev_graph
        if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint" and "serving-network" in r.name
    )
    assert services == sorted(
        ["com.amazonaws.eu-north-1.ecr.api", "com.amazonaws.eu-north-1.ecr.dkr", "ec2messages", "logs", "s3", "ssm",
         "ssmmessages"]
    )  # fmt: skip
    assert all(
        r.provider.endswith("::aws-eu-north-1")
        for r in dev_graph
        if "serving" in r.name and r.custom and r.type.startswith("aws:")
    )


# -- Azure -------------------------------------------------------------------------------------------------------


def test_the_scale_set_is_bound_to_its_reservation_group_in_its_zone(dev_graph: list[Resource]) -> None:
    scale_set = one(dev_graph, "azure-native:compute:VirtualMachineScaleSet")
    group = one(dev_graph, "azure-native:compute:CapacityReservationGroup", "oss-a100")
    reservation = one(dev_graph, "azure-native:compute:CapacityReservation", "oss-a100")
    profile = scale_set.inputs["virtualMachineProfile"]
    assert group.urn in scale_set.property_dependencies["virtualMachineProfile"]
    assert profile["capacityReservation"]["capacityReservationGroup"]["id"] == UNKNOWN
    assert scale_set.inputs["singlePlacementGroup"] is False and "proximityPlacementGroup" not in scale_set.inputs
    assert scale_set.inputs["zones"] == reservation.inputs["zones"] == ["1"]
    assert scale_set.inputs["sku"]["name"] == reservation.inputs["sku"]["name"] == "Standard_NC24ads_A100_v4"
    assert scale_set.inputs["sku"]["capacity"] == 1 and scale_set.inputs["orchestrationMode"] == "Uniform"


def test_the_scale_set_has_no_public_ip_and_an_internal_load_balancer(dev_graph: list[Resource]) -> None:
    scale_set = one(dev_graph, "azure-native:compute:VirtualMachineScaleSet")
    profile = scale_set.inputs["virtualMachineProfile"]
    [nic] = profile["networkProfile"]["networkInterfaceConfigurations"]
    assert all("publicIPAddressConfiguration" not in ip for ip in nic["ipConfigurations"])
    linux = profile["osProfile"]["linuxConfiguration"]
    assert linux["disablePasswordAuthentication"] is True
    assert linux["ssh"]["publicKeys"][0]["keyData"].startswith("ssh-ed25519 ")
    document = yaml.safe_load(base64.b64decode(profile["osProfile"]["customData"]).decode())
    assert any(f["path"].endswith("crosscloud-vllm.service") for f in document["write_files"])
    balancer = one(dev_graph, "azure-native:network:LoadBalancer")
    assert balancer.urn in scale_set.property_dependencies["virtualMachineProfile"]
    [frontend] = balancer.inputs["frontendIPConfigurations"]
    assert "publicIPAddress" not in frontend and frontend["privateIPAllocationMethod"] == "Static"
    assert frontend["privateIPAddress"] == "10.41.31.253", "top of the workloads subnet 10.41.16.0/20"
    assert balancer.inputs["probes"][0]["requestPath"] == "/health"
    assert not [r for r in dev_graph if r.type == "azure-native:network:PublicIPAddress"]


def test_the_weights_store_and_registry_are_private_and_readable_by_the_identity(dev_graph: list[Resource]) -> None:
    storage = one(dev_graph, "azure-native:storage:StorageAccount", "serving")
    assert storage.inputs["publicNetworkAccess"] == "Disabled" and storage.inputs["allowSharedKeyAccess"] is False
    assert storage.inputs["sku"]["name"] == "Standard_ZRS" and storage.inputs["location"] == "swedencentral"
    registry = one(dev_graph, "azure-native:containerregistry:Registry")
    assert registry.inputs["publicNetworkAccess"] == "Disabled" and registry.inputs["adminUserEnabled"] is False
    assert registry.inputs["sku"]["name"] == "Premium"
    groups = sorted(
        r.inputs["privateLinkServiceConnections"][0]["groupIds"][0]
        for r in dev_graph
        if r.type == "azure-native:network:PrivateEndpoint" and "serving" in r.name
    )
    assert groups == ["blob", "registry"]
    roles = [r for r in dev_graph if r.type == "azure-native:authorization:RoleAssignment" and "serving" in r.name]
    identity = one(dev_graph, "azure-native:managedidentity:UserAssignedIdentity", "serving")
    assert len(roles) == 2 and all(identity.urn in r.property_dependencies["principalId"] for r in roles)
    rule = one(dev_graph, "azure-native:monitor:DataCollectionRule")
    assert rule.inputs["dataSources"]["syslog"][0]["facilityNames"] == ["local0"]


def test_the_endpoint_contract_lists_one_openai_base_url_per_cloud(dev: Graph) -> None:
    stack = next(r for r in dev.resources if r.type == "pulumi:pulumi:Stack")
    chat = stack.outputs["endpoints"]["chat-oss"]
    assert chat["aws"]["route"] == chat["azure"]["route"] == "selfhosted"
    assert chat["azure"]["base_url"] == "http://10.41.31.253/v1"
    assert chat["aws"]["base_url"] == "http://chat-oss.crosscloud-dev-experiments.internal/v1"
    assert chat["aws"]["model"] == chat["azure"]["model"] == "gpt-oss-120b"
    assert chat["aws"]["weights"] == chat["azure"]["weights"]
    assert chat["aws"]["image"].endswith(DIGEST) and chat["azure"]["image"].endswith(DIGEST)


# -- provider inputs: enum strings are values of the SDK's enums; the GPU components alone ---------------------------

SERVING_ENUMS: list[tuple[str, str, type[Enum]]] = [
    ("azure-native:compute:VirtualMachineScaleSet", "orchestrationMode", azure_native.compute.OrchestrationMode),
    ("azure-native:compute:VirtualMachineScaleSet", "upgradePolicy.mode", azure_native.compute.UpgradeMode),
    ("azure-native:compute:VirtualMachineScaleSet", "identity.type", azure_native.compute.ResourceIdentityType),
    (
        "azure-native:compute:VirtualMachineScaleSet",
        "virtualMachineProfile.storageProfile.osDisk.createOption",
        azure_native.compute.DiskCreateOptionTypes,
    ),
    (
        "azure-native:compute:VirtualMachineScaleSet",
        "virtualMachineProfile.storageProfile.osDisk.caching",
        azure_native.compute.CachingTypes,
    ),
    (
        "azure-native:compute:VirtualMachineScaleSet",
        "virtualMachineProfile.storageProfile.osDisk.managedDisk.storageAccountType",
        azure_native.compute.StorageAccountTypes,
    ),
    ("azure-native:network:LoadBalancer", "sku.name", azure_native.network.LoadBalancerSkuName),
    ("azure-native:network:LoadBalancer", "sku.tier", azure_native.network.LoadBalancerSkuTier),
    ("azure-native:network:LoadBalancer", "probes[].protocol", azure_native.network.ProbeProtocol),
    ("azure-native:network:LoadBalancer", "loadBalancingRules[].protocol", azure_native.network.TransportProtocol),
    (
        "azure-native:network:LoadBalancer",
        "frontendIPConfigurations[].privateIPAllocationMethod",
        azure_native.network.IPAllocationMethod,
    ),
    ("azure-native:containerregistry:Registry", "sku.name", azure_native.containerregistry.SkuName),
    (
        "azure-native:containerregistry:Registry",
        "publicNetworkAccess",
        azure_native.containerregistry.PublicNetworkAccess,
    ),
    (
        "azure-native:containerregistry:Registry",
        "networkRuleBypassOptions",
        azure_native.containerregistry.NetworkRuleBypassOptions,
    ),
    ("azure-native:containerregistry:Registry", "zoneRedundancy", azure_native.containerregistry.ZoneRedundancy),
    ("azure-native:storage:BlobContainer", "publicAccess", azure_native.storage.PublicAccess),
    (
        "azure-native:monitor:DataCollectionRule",
        "dataSources.syslog[].facilityNames[]",
        azure_native.monitor.KnownSyslogDataSourceFacilityNames,
    ),
    (
        "azure-native:monitor:DataCollectionRule",
        "dataSources.syslog[].streams[]",
        azure_native.monitor.KnownSyslogDataSourceStreams,
    ),
]


def _values(value: Any, path: list[str]) -> list[Any]:
    if not path:
        return value if isinstance(value, list) else [value]
    head, rest = path[0], path[1:]
    name = head.removesuffix("[]")
    if not isinstance(value, dict) or name not in value:
        return []
    inner = value[name]
    if head.endswith("[]") and rest:
        return [v for item in inner for v in _values(item, rest)]
    return _values(inner, rest)


@pytest.mark.parametrize(
    ("token", "path", "enum"), SERVING_ENUMS, ids=[f"{t.split(':')[-1]}.{p}" for t, p, _ in SERVING_ENUMS]
)
def test_serving_enum_strings_are_values_of_the_sdk_enums(
    dev_graph: list[Resource], token: str, path: str, enum: type[Enum]
) -> None:
    found = [
        v for r in dev_graph if r.type == token and "serving" in r.name for v in _values(r.inputs, path.split("."))
    ]
    assert found, f"dev sends no {token} {path}: the check would be vacuous"
    allowed = {m.value for m in enum}
    assert set(found) <= allowed, f"{token} {path}: {sorted(set(found) - allowed)} not in {enum.__name__}"


def test_the_unheld_ssh_key_is_a_stable_ed25519_point() -> None:
    key = unheld_ssh_key("acr1/chat-oss")
    assert key == unheld_ssh_key("acr1/chat-oss") and key != unheld_ssh_key("acr2/chat-oss")
    kind, blob, _ = key.split(" ")
    raw = base64.b64decode(blob)
    assert kind == "ssh-ed25519" and raw[4:15] == b"ssh-ed25519" and len(raw) == 4 + 11 + 4 + 32
    y = int.from_bytes(raw[-32:], "little")
    assert _on_curve(y), "a valid public key, so Azure accepts it"
    assert frontend_address("10.41.16.0/20", 0) == "10.41.31.253"
    assert frontend_address("10.41.16.0/20", 1) == "10.41.31.252"


def test_a_capacity_block_fleet_template_keeps_the_block_market_type() -> None:
    from crosscloud.components.aws import GpuCapacity, GpuCapacityArgs
    from crosscloud.components.aws.context import AwsContext
    from crosscloud.components.aws.gpu import FleetLaunch
    from crosscloud.components.providers import aws_provider, with_provider
    from crosscloud.declaration.spec import AwsSettings, GpuReservation
    from crosscloud.engine.synth import record

    ctx = AwsContext(partition="aws", region="eu-north-1", account="123456789012", prefix="crosscloud-test")
    block = GpuReservation(
        name="burst", cloud="aws", instance_type="p5.48xlarge", count=1, zone="eu-north-1a",
        reservation="capacity-block", starts=dt.date(2027, 1, 4), ends=dt.date(2027, 1, 11),
    )  # fmt: skip
    launch = FleetLaunch(
        image_id="resolve:ssm:/aws/service/x/ami-id", user_data="I2Nsb3VkLWNvbmZpZw==",
        instance_profile_arn="arn:aws:iam::123456789012:instance-profile/p", security_group_ids=["sg-1"],
    )  # fmt: skip

    def body() -> None:
        opts = with_provider(aws_provider("aws", AwsSettings(region="eu-north-1")))
        GpuCapacity("gpu", GpuCapacityArgs(ctx=ctx, reservations=[block], fleets={"burst": launch}), opts)

    resources, _ = record("crosscloud", "test", {}, body)
    [template] = [r for r in resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"]
    assert template.inputs["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert template.inputs["networkInterfaces"][0]["associatePublicIpAddress"] == "false"
    assert template.inputs["networkInterfaces"][0]["securityGroups"] == ["sg-1"]
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpPutResponseHopLimit": 1,
        "httpTokens": "required",
    }
