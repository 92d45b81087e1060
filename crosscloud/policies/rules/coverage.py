"""Coverage: the residency rules fail closed on every resource type they do not model.

A resource type is modelled when the rules know where its data can be: it holds no customer data (network plumbing,
identities, DNS), it keeps data where it is located (its region or location, which aws-region-allowed and
azure-location-allowed check), or a rule follows each place it sends data or prompts to. Every other resource that
can hold or process data is a violation of `policy-coverage`, naming what would make it checkable; a team may
declare more types as regional in the rule's config (`regional_types`), or exempt a resource by tag.
"""

from __future__ import annotations

from collections.abc import Iterator

from crosscloud.policies.rules.base import ResourceView, RuleContext
from crosscloud.policies.rules.normalize import GENERIC_RESOURCE, PROVIDER_PREFIX, classify, generic_arm_type

# Types (or module prefixes ending in "/" or ":") that hold no customer data.
NO_DATA = frozenset(
    {
        "aws:iam/",
        "aws:ssoadmin/",
        "aws:route53/",
        "aws:acm/certificate:Certificate",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
        "aws:ec2/defaultRouteTable:DefaultRouteTable",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/networkAcl:NetworkAcl",
        "aws:ec2/networkAclRule:NetworkAclRule",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/keyPair:KeyPair",
        "aws:ec2/placementGroup:PlacementGroup",
        "aws:ec2/vpcDhcpOptions:VpcDhcpOptions",
        "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation",
        "aws:ec2/capacityReservation:CapacityReservation",
        "aws:ec2/capacityBlockReservation:CapacityBlockReservation",
        "aws:kms/alias:Alias",
        "aws:lambda/permission:Permission",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:bedrock/guardrailVersion:GuardrailVersion",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketAcl:BucketAcl",
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "azure-native:authorization:",
        "azure-native:managedidentity:",
        "azure-native:privatedns:",
        "azure-native:resources:ResourceGroup",
        "azure-native:network:VirtualNetwork",
        "azure-native:network:Subnet",
        "azure-native:network:NetworkSecurityGroup",
        "azure-native:network:SecurityRule",
        "azure-native:network:PrivateEndpoint",
        "azure-native:network:PrivateDnsZoneGroup",
        "azure-native:network:RouteTable",
        "azure-native:network:Route",
        "azure-native:network:PublicIPAddress",
        "azure-native:network:NatGateway",
        "azure-native:network:NetworkInterface",
        "azure-native:cognitiveservices:RaiPolicy",
        "azure-native:cognitiveservices:RaiBlocklist",
        "azure-native:machinelearningservices:MarketplaceSubscription",
        "azure-native:compute:CapacityReservationGroup",
        "azure-native:compute:CapacityReservation",
        # Binds a scale set to a data collection rule; the rule's destinations are what data-path checks.
        "azure-native:monitor:DataCollectionRuleAssociation",
        "random:",
        "time:",
    }
)
# Types that keep their data where they are located (their region or location is checked).
REGIONAL = frozenset(
    {
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/logStream:LogStream",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/instance:Instance",
        "aws:ebs/volume:Volume",
        "aws:lambda/function:Function",
        "aws:lambda/alias:Alias",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/service:Service",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:sqs/queue:Queue",
        "aws:ssm/parameter:Parameter",
        "aws:ecr/repository:Repository",
        # Self-hosted serving (issue 27): the fleet and its load balancer process prompts where they run; the
        # target group and listener route inside their Region.
        "aws:autoscaling/group:Group",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/listener:Listener",
        "aws:alb/loadBalancer:LoadBalancer",
        "aws:alb/targetGroup:TargetGroup",
        "aws:alb/listener:Listener",
        "aws:kinesis/stream:Stream",
        "aws:opensearch/domain:Domain",
        "azure-native:cognitiveservices:Account",
        "azure-native:cognitiveservices:Project",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Secret",
        "azure-native:keyvault:Key",
        "azure-native:machinelearningservices:Workspace",
        "azure-native:operationalinsights:Workspace",
        "azure-native:storage:BlobContainer",
        "azure-native:compute:VirtualMachineScaleSet",
        "azure-native:network:LoadBalancer",
        "azure-native:containerregistry:Registry",
        # A geo-replica of a registry is a resource with its own location, which the location rule judges.
        "azure-native:containerregistry:Replication",
    }
)
# Types whose processing or data paths a residency rule follows.
CHECKED = {
    "aws:bedrock/guardrail:Guardrail": "guardrail-profile-in-residency",
    "aws:bedrock/inferenceProfile:InferenceProfile": "bedrock-profile-prefix-allowed",
    "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput": "bedrock-profile-prefix-allowed",
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration": (
        "bedrock-logging-destination-in-region"
    ),
    "aws:s3/bucket:Bucket": "data-path-destination-in-residency",
    "aws:s3/bucketV2:BucketV2": "data-path-destination-in-residency",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "replication-stays-in-residency",
    "aws:dynamodb/table:Table": "data-path-destination-in-residency",
    "aws:dynamodb/tableReplica:TableReplica": "aws-region-allowed",
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": "data-path-destination-in-residency",
    "aws:cloudwatch/logDestination:LogDestination": "data-path-destination-in-residency",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "data-path-destination-in-residency",
    "aws:cloudwatch/eventTarget:EventTarget": "data-path-destination-in-residency",
    "aws:cloudwatch/eventApiDestination:EventApiDestination": "data-path-destination-in-residency",
    "aws:cloudwatch/eventEndpoint:EventEndpoint": "data-path-destination-in-residency",
    "aws:pipes/pipe:Pipe": "data-path-destination-in-residency",
    "aws:backup/plan:Plan": "data-path-destination-in-residency",
    "aws:backup/vault:Vault": "aws-region-allowed",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "data-path-destination-in-residency",
    "aws:ec2/flowLog:FlowLog": "data-path-destination-in-residency",
    "azure-native:cognitiveservices:Deployment": "azure-deployment-sku-allowed",
    "azure-native:machinelearningservices:ServerlessEndpoint": "azure-serverless-endpoint-region",
    "azure-native:monitor:DiagnosticSetting": "data-path-destination-in-residency",
    "azure-native:monitor:DataCollectionRule": "data-path-destination-in-residency",
    "azure-native:storage:StorageAccount": "data-path-destination-in-residency",
    "azure-native:storage:ObjectReplicationPolicy": "data-path-destination-in-residency",
    "azure-native:documentdb:DatabaseAccount": "data-path-destination-in-residency",
}
CLOUD_PACKAGES = ("aws", "aws-native", "azure-native", "azure")
# Typed tokens to use instead of an untranslated one, by its module.
TYPED_HINTS = {
    "aws-native": "the aws provider's resource (aws:<module>/<name>:<Kind>)",
    "azure": "the azure-native resource (azure-native:<module>:<Kind>)",
}
COVERAGE_CONFIG = {
    "regional_types": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "description": "type tokens the team vouches keep data in their own region or location (then the region "
        "and location rules decide)",
    }
}


def _listed(type_: str, table: frozenset[str]) -> bool:
    if type_ in table:
        return True
    package, _, rest = type_.partition(":")
    module = rest.split(":", 1)[0]
    return f"{package}:" in table or f"{package}:{module}:" in table or f"{package}:{module.split('/')[0]}/" in table


def modelled(type_: str) -> str | None:
    """How the residency rules model a canonical type ("no data", "regional", or the rule that checks it)."""
    if _listed(type_, NO_DATA):
        return "no data"
    if type_ in REGIONAL:
        return "regional"
    return CHECKED.get(type_)


def coverage_problem(view: ResourceView, ctx: RuleContext) -> str | None:
    """Why the residency rules cannot tell where this resource's data goes, or None."""
    if view.type.startswith(PROVIDER_PREFIX) or view.type.startswith("pulumi:"):
        return None
    registered = classify(view.registered)
    if registered.package not in CLOUD_PACKAGES and not registered.package.startswith("azure-native"):
        if not view.provider_urn:
            return None  # a component resource: its children are the resources
        if _listed(view.type, NO_DATA):
            return None
    vouched = ctx.config.get("regional_types")
    if isinstance(vouched, list) and (view.registered in vouched or view.type in vouched):
        return None
    checkable = (
        "list it in policy-coverage's regional_types if it keeps data in its own region or location (then "
        "aws-region-allowed / azure-location-allowed decide), or exempt it (crosscloud:exempt:policy-coverage)"
    )
    if not view.mapped:
        if view.type == GENERIC_RESOURCE:
            arm_type, _names = generic_arm_type(view.props)
            what = f"ARM type {arm_type}" if arm_type else "an ARM type unknown at preview"
            return (
                f"generic {GENERIC_RESOURCE} of {what} is not modelled by the residency rules, so where its data goes "
                f"cannot be proven; make it checkable: use the typed azure-native resource for it, or {checkable}"
            )
        if registered.package in TYPED_HINTS:
            return (
                f"{view.registered} ({registered.package}) is not translated to a type the residency rules model, so "
                f"where its data goes cannot be proven; make it checkable: use {TYPED_HINTS[registered.package]}, "
                f"or {checkable}"
            )
        return (
            f"{view.registered} (package {registered.package}) is not modelled by the residency rules, so where its "
            f"data goes cannot be proven; make it checkable: {checkable}"
        )
    if modelled(view.type) is not None:
        return None
    return (
        f"{view.registered} can hold or process data and no residency rule models where it sends it, so residency "
        f"cannot be proven; make it checkable: {checkable}"
    )


def check_coverage(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    """Per resource (a resource policy: it needs no other resource, and a stack policy would deserialize every
    resource once more)."""
    problem = coverage_problem(view, ctx)
    if problem is not None:
        yield problem
