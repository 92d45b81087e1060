"""Red team: the ways issue 22 walked around the packs, each beside a compliant twin that differs only in the
offending field. Every bad case must be caught by the rule named for it; every twin must pass every residency rule
(and the security rule of its case), so a rule that flags everything fails here as surely as one that flags nothing.

All cases live in one graph, checked once by the residency, security and governance packs with prod-like policy
config (every rule mandatory, the residency set pinned, a few external resources approved): pack start-up dominates.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from crosscloud.declaration import DeclarationError
from crosscloud.engine.check import PackRun, check_graph
from crosscloud.engine.graph import UNKNOWN, Resource
from crosscloud.engine.project import Project
from crosscloud.engine.violations import CheckResult
from crosscloud.policies.rules import residency
from tests.graphs import graph, provider
from tests.graphs import resource as _resource

ACCOUNT = "123456789012"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
TODAY = dt.datetime.now(dt.UTC).date()
ARM = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups"
APPROVED = [
    {"id": "ai-approved", "location": "swedencentral", "reason": "the platform team's shared Foundry account"},
    {
        "id": f"arn:aws:bedrock:eu-central-1:{ACCOUNT}:application-inference-profile/approved1",
        "location": "eu-central-1",
        "reason": "shared profile of the ML platform, copies an in-region model",
    },
    {"id": "https://eu.collector.example.com/ingest", "location": "eu-west-1", "reason": "EU log collector FIN-1"},
    {"id": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/central", "location": "eu-west-1", "reason": "EU bus X-1"},
]
RESIDENCY_RULES = {r.id for r in residency.RULES}


@dataclass(frozen=True)
class Case:
    """One walk-around: `bad` must be reported by `rule`; `ok` differs only in the offending field."""

    klass: str
    name: str
    rule: str
    make: Callable[[bool], list[Resource]]
    also: str = ""  # a second rule the bad case must trip (where the class names two)

    @property
    def bad(self) -> str:
        return f"{self.name}-bad"

    @property
    def ok(self) -> str:
        return f"{self.name}-ok"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant(resource_: str | list[str], action: str | list[str] = "bedrock:InvokeModel", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource_, **extra}


def fm(region: str, model: str = TITAN) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model}"


def profile_arn(region: str, ident: str, kind: str = "inference-profile") -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT}:{kind}/{ident}"


def resource(type_: str, resource_name: str, via: Resource | None, **inputs: Any) -> Resource:
    """tests.graphs.resource, with `name` allowed as an input (many providers' name input is `name`)."""
    made = _resource(type_, resource_name, via)
    made.inputs = dict(inputs)
    return made


def runtime_url(region: str) -> str:
    return f"https://bedrock-runtime.{region}.amazonaws.com"


def with_deps(res: Resource, **deps: Resource) -> Resource:
    res.property_dependencies = {key: [target.urn] for key, target in deps.items()}
    return res


def exempt(days: int, rule: str) -> dict[str, str]:
    return {f"crosscloud:exempt:{rule}": f"{(TODAY + dt.timedelta(days=days)).isoformat()}:legacy, moving in Q3"}


# -- shared resources ------------------------------------------------------------------------------------------------

EU = provider("aws", "aws-eu", region="eu-central-1")
IE = provider("aws", "aws-ie", region="eu-west-1")
US = provider("aws", "aws-us", region="us-east-1")
NATIVE = provider("aws-native", "aws-native-eu", region="eu-central-1")
DEFAULT_BARE = provider("aws", "default_7_51_1")
DEFAULT_SET = provider("aws", "default_7_51_1_set", region="eu-central-1")
AZ = provider("azure-native", "az", location="swedencentral")
AZ_PARAM = provider("azure-native_cognitiveservices_v20250601", "az-param", location="swedencentral")
AZ_CLASSIC = provider("azure", "az-classic")
OTHER = provider("command", "command")
RANDOM = provider("random", "random")
RG = resource("azure-native:resources:ResourceGroup", "rg-rt", AZ, resourceGroupName="rg-rt", location="swedencentral")
SECURE = {"disableLocalAuth": True, "publicNetworkAccess": "Disabled"}
ACCOUNT_RT = resource(
    "azure-native:cognitiveservices:Account",
    "acct-rt",
    AZ,
    accountName="ai-rt",
    resourceGroupName="rg-rt",
    location="swedencentral",
    kind="AIServices",
    identity={"type": "SystemAssigned"},
    properties=SECURE,
)
BUCKET_US = resource("aws:s3/bucket:Bucket", "bucket-us", US, bucket="rt-us")
BUCKET_IE = resource("aws:s3/bucket:Bucket", "bucket-ie", IE, bucket="rt-ie")
STREAM = resource("aws:kinesis/stream:Stream", "stream-eu", EU, name="rt-stream")
VAULT = resource("aws:backup/vault:Vault", "vault-eu", EU, name="rt-vault")
LAW = resource(
    "azure-native:operationalinsights:Workspace",
    "law-rt",
    AZ,
    workspaceName="law-rt",
    resourceGroupName="rg-rt",
    location="swedencentral",
)
STORAGE = resource(
    "azure-native:storage:StorageAccount",
    "storage-rt",
    AZ,
    accountName="strt",
    resourceGroupName="rg-rt",
    location="swedencentral",
    sku={"name": "Standard_ZRS"},
)
STACK_PROFILE = resource(
    "aws:bedrock/inferenceProfile:InferenceProfile",
    "profile-rt",
    EU,
    name="rt",
    modelSource={"copyFrom": fm("eu-central-1")},
    arn=profile_arn("eu-central-1", "stack1", "application-inference-profile"),
)
STACK_POLICY = resource("aws:iam/policy:Policy", "policy-rt", EU, name="rt", policy=doc(grant(fm("eu-central-1"))))
SHARED = [
    EU, IE, US, NATIVE, DEFAULT_BARE, DEFAULT_SET, AZ, AZ_PARAM, AZ_CLASSIC, OTHER, RANDOM,
    RG, ACCOUNT_RT, BUCKET_US, BUCKET_IE, STREAM, VAULT, LAW, STORAGE, STACK_PROFILE, STACK_POLICY,
]  # fmt: skip


def deployment(name: str, type_: str, via: Resource | None, sku: str, **inputs: Any) -> Resource:
    props = {"model": {"format": "OpenAI", "name": "gpt-4.1", "version": "2025-04-14"}, "raiPolicyName": "strict"}
    base = {"accountName": "ai-rt", "resourceGroupName": "rg-rt", "deploymentName": name}
    return resource(type_, name, via, **{**base, **inputs, "sku": {"name": sku, "capacity": 10}, "properties": props})


def lam(name: str, via: Resource = EU, **variables: str) -> Resource:
    return resource("aws:lambda/function:Function", name, via, environment={"variables": variables})


def policy(name: str, *statements: dict[str, Any]) -> Resource:
    return resource("aws:iam/policy:Policy", name, EU, policy=doc(*statements))


def attach(name: str, arn: str, type_: str = "aws:iam/rolePolicyAttachment:RolePolicyAttachment") -> Resource:
    return resource(type_, name, EU, role="app", policyArn=arn)


FULL = "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"
READ = "arn:aws:iam::aws:policy/AmazonBedrockReadOnly"


def _b64(text: str, zipped: bool = False) -> str:
    raw = gzip.compress(text.encode()) if zipped else text.encode()
    return base64.b64encode(raw).decode()


def _deny_role(case: str, conditional: bool) -> list[Resource]:
    """A role with PowerUserAccess (which grants every Bedrock action on "*") and an inline deny of Bedrock; a deny
    with a condition may not apply, so it is not credited."""
    role = resource("aws:iam/role:Role", f"{case}-role", EU, name=f"{case}-role")
    deny: dict[str, Any] = {"Effect": "Deny", "Action": ["bedrock:*", "bedrock-mantle:*"], "Resource": "*"}
    if conditional:
        deny["Condition"] = {"Bool": {"aws:ViaAWSService": "true"}}
    inline = resource("aws:iam/rolePolicy:RolePolicy", f"{case}-deny", EU, role=UNKNOWN, policy=doc(deny))
    power = resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        case,
        EU,
        role=f"{case}-role",
        policyArn="arn:aws:iam::aws:policy/PowerUserAccess",
    )
    return [role, with_deps(inline, role=role), power]


def _on_own_provider(name: str, inputs: dict[str, Any]) -> list[Resource]:
    own = provider("aws", f"{name}-provider", **inputs)
    return [own, resource("aws:ec2/vpc:Vpc", name, own)]


# -- the cases -------------------------------------------------------------------------------------------------------

CASES: list[Case] = [
    # 1. type tokens: versioned, parameterized, generic, classic azure and aws-native read as the typed ones
    Case(
        "tokens",
        "versioned",
        "azure-deployment-sku-allowed",
        lambda bad: [
            deployment(
                "versioned-" + ("bad" if bad else "ok"),
                "azure-native:cognitiveservices/v20250601:Deployment",
                AZ,
                "GlobalStandard" if bad else "Standard",
            )
        ],
    ),
    Case(
        "tokens",
        "parameterized",
        "azure-deployment-sku-allowed",
        lambda bad: [
            deployment(
                "parameterized-" + ("bad" if bad else "ok"),
                "azure-native_cognitiveservices_v20250601:cognitiveservices/v20250601:Deployment",
                AZ_PARAM,
                "GlobalStandard" if bad else "Standard",
            )
        ],
    ),
    Case(
        "tokens",
        "generic",
        "azure-deployment-sku-allowed",
        lambda bad: [
            resource(
                "azure-native:resources:Resource",
                "generic-" + ("bad" if bad else "ok"),
                AZ,
                resourceProviderNamespace="Microsoft.CognitiveServices",
                parentResourcePath="accounts/ai-rt",
                resourceType="deployments",
                resourceName="generic",
                resourceGroupName="rg-rt",
                apiVersion="2025-06-01",
                sku={"name": "GlobalStandard" if bad else "Standard", "capacity": 10},
                properties={"model": {"format": "OpenAI", "name": "gpt-4.1", "version": "2025-04-14"}},
            )
        ],
    ),
    Case(
        "tokens",
        "classic",
        "azure-deployment-sku-allowed",
        lambda bad: [
            resource(
                "azure:cognitive/deployment:Deployment",
                "classic-" + ("bad" if bad else "ok"),
                AZ_CLASSIC,
                cognitiveAccountId=f"{ARM}/rg-rt/providers/Microsoft.CognitiveServices/accounts/ai-rt",
                model={"format": "OpenAI", "name": "gpt-4.1", "version": "2025-04-14"},
                sku={"name": "GlobalStandard" if bad else "Standard", "capacity": 10},
            )
        ],
    ),
    Case(
        "tokens",
        "native-profile",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            resource(
                "aws-native:bedrock:ApplicationInferenceProfile",
                "native-profile-" + ("bad" if bad else "ok"),
                NATIVE,
                inferenceProfileName="p",
                modelSource={
                    "copyFrom": profile_arn("eu-central-1", f"global.{SONNET}") if bad else fm("eu-central-1")
                },
            )
        ],
    ),
    Case(
        "tokens",
        "native-iam",
        "iam-no-global-inference-grant",
        lambda bad: [
            resource(
                "aws-native:iam:ManagedPolicy",
                "native-iam-" + ("bad" if bad else "ok"),
                NATIVE,
                policyDocument=json.loads(doc(grant(fm("" if bad else "eu-central-1")))),
            )
        ],
    ),
    Case(
        "tokens",
        "coverage-native",
        "policy-coverage",
        lambda bad: [
            resource(
                "aws-native:lambda:Function" if bad else "aws:lambda/function:Function",
                "coverage-native-" + ("bad" if bad else "ok"),
                NATIVE if bad else EU,
            )
        ],
    ),
    Case(
        "tokens",
        "coverage-generic",
        "policy-coverage",
        lambda bad: [
            resource(
                "azure-native:resources:Resource",
                "coverage-generic-" + ("bad" if bad else "ok"),
                AZ,
                resourceProviderNamespace="Microsoft.Search" if bad else "Microsoft.CognitiveServices",
                parentResourcePath="",
                resourceType="searchServices" if bad else "accounts",
                resourceName="gensearch",
                resourceGroupName="rg-rt",
                location="swedencentral",
                properties=SECURE,
            )
        ],
    ),
    Case(
        "tokens",
        "coverage-package",
        "policy-coverage",
        lambda bad: [
            resource(
                "command:local:Command" if bad else "random:index/randomString:RandomString",
                "coverage-package-" + ("bad" if bad else "ok"),
                OTHER if bad else RANDOM,
            )
        ],
    ),
    # 2. parents and references outside the stack are unknown, and unknown fails closed (unless approved)
    Case(
        "external",
        "external-account",
        "azure-deployment-sku-allowed",
        lambda bad: [
            deployment(
                "external-account-" + ("bad" if bad else "ok"),
                "azure-native:cognitiveservices:Deployment",
                AZ,
                "Standard",
                accountName="ai-elsewhere" if bad else "ai-rt",
            )
        ],
        also="azure-location-allowed",
    ),
    Case(
        "external",
        "other-group",
        "azure-location-allowed",
        lambda bad: [
            deployment(
                "other-group-" + ("bad" if bad else "ok"),
                "azure-native:cognitiveservices:Deployment",
                AZ,
                "Standard",
                resourceGroupName="rg-elsewhere" if bad else "rg-rt",
            )
        ],
        also="azure-deployment-sku-allowed",
    ),
    Case(
        "external",
        "approved-account",
        "azure-deployment-sku-allowed",
        lambda bad: [
            deployment(
                "approved-account-" + ("bad" if bad else "ok"),
                "azure-native:cognitiveservices:Deployment",
                AZ,
                "Standard",
                accountName="ai-unapproved" if bad else "ai-approved",
                resourceGroupName="rg-shared",
            )
        ],
    ),
    Case(
        "external",
        "profile-grant",
        "bedrock-application-profile-in-stack",
        lambda bad: [
            policy(
                "profile-grant-" + ("bad" if bad else "ok"),
                grant(profile_arn("eu-central-1", "outside1" if bad else "stack1", "application-inference-profile")),
            )
        ],
    ),
    Case(
        "external",
        "profile-env",
        "bedrock-application-profile-in-stack",
        lambda bad: [
            lam(
                "profile-env-" + ("bad" if bad else "ok"),
                MODEL=profile_arn("eu-central-1", "outside2" if bad else "approved1", "application-inference-profile"),
            )
        ],
    ),
    # 3. IAM read as IAM evaluates it
    Case(
        "iam",
        "region-question-mark",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            policy(
                "region-question-mark-" + ("bad" if bad else "ok"), grant(fm("eu-central-?" if bad else "eu-central-1"))
            )
        ],
    ),
    Case(
        "iam",
        "profile-star",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            policy(
                "profile-star-" + ("bad" if bad else "ok"),
                grant(profile_arn("eu-central-1", "us.*" if bad else f"eu.{SONNET}")),
            )
        ],
    ),
    Case(
        "iam",
        "model-star",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            policy(
                "model-star-" + ("bad" if bad else "ok"),
                grant(fm("us-east-1" if bad else "eu-central-1", "anthropic.claude-*")),
            )
        ],
    ),
    Case(
        "iam",
        "any-resource",
        "iam-no-global-inference-grant",
        lambda bad: [
            policy(
                "any-resource-" + ("bad" if bad else "ok"),
                grant("arn:aws:bedrock:?*:*:?*" if bad else "arn:aws:bedrock:eu-central-1:*:foundation-model/?*"),
            )
        ],
        also="bedrock-profile-prefix-allowed",
    ),
    Case(
        "iam",
        "not-resource",
        "iam-no-global-inference-grant",
        lambda bad: [
            policy(
                "not-resource-" + ("bad" if bad else "ok"),
                {
                    "Effect": "Allow",
                    "Action": "bedrock:InvokeModel",
                    ("NotResource" if bad else "Resource"): fm("eu-central-1"),
                },
            )
        ],
    ),
    Case(
        "iam",
        "not-action",
        "iam-no-global-inference-grant",
        lambda bad: [
            policy(
                "not-action-" + ("bad" if bad else "ok"),
                {"Effect": "Allow", ("NotAction" if bad else "Action"): ["iam:*"], "Resource": "*"},
            )
        ],
    ),
    Case(
        "iam",
        "action-case",
        "iam-no-global-inference-grant",
        lambda bad: [
            policy(
                "action-case-" + ("bad" if bad else "ok"),
                grant(fm(""), "BEDROCK:INVOKEMODEL" if bad else "BEDROCK:GETFOUNDATIONMODEL"),
            )
        ],
    ),
    Case(
        "iam",
        "attachment",
        "iam-attached-policy-in-residency",
        lambda bad: [attach("attachment-" + ("bad" if bad else "ok"), FULL if bad else READ)],
    ),
    Case(
        "iam",
        "managed-arns",
        "iam-attached-policy-in-residency",
        lambda bad: [
            resource(
                "aws:iam/role:Role",
                "managed-arns-" + ("bad" if bad else "ok"),
                EU,
                managedPolicyArns=[FULL if bad else READ],
            )
        ],
    ),
    Case(
        "iam",
        "policy-attachment",
        "iam-attached-policy-in-residency",
        lambda bad: [
            resource(
                "aws:iam/policyAttachment:PolicyAttachment",
                "policy-attachment-" + ("bad" if bad else "ok"),
                EU,
                roles=["app"],
                policyArn=FULL if bad else READ,
            )
        ],
    ),
    Case(
        "iam",
        "native-role",
        "iam-attached-policy-in-residency",
        lambda bad: [
            resource(
                "aws-native:iam:Role",
                "native-role-" + ("bad" if bad else "ok"),
                NATIVE,
                roleName="native",
                assumeRolePolicyDocument={"Version": "2012-10-17", "Statement": []},
                managedPolicyArns=[FULL if bad else READ],
            )
        ],
    ),
    Case(
        "iam",
        "sso-attachment",
        "iam-attached-policy-in-residency",
        lambda bad: [
            resource(
                "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
                "sso-attachment-" + ("bad" if bad else "ok"),
                EU,
                instanceArn="arn:aws:sso:::instance/ssoins-1",
                permissionSetArn="arn:aws:sso:::permissionSet/ssoins-1/ps-1",
                managedPolicyArn=FULL if bad else READ,
            )
        ],
    ),
    Case(
        "iam",
        "sso-inline",
        "iam-no-global-inference-grant",
        lambda bad: [
            resource(
                "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
                "sso-inline-" + ("bad" if bad else "ok"),
                EU,
                instanceArn="arn:aws:sso:::instance/ssoins-1",
                permissionSetArn="arn:aws:sso:::permissionSet/ssoins-1/ps-1",
                inlinePolicy=doc(grant(fm("" if bad else "eu-central-1"))),
            )
        ],
    ),
    Case(
        "iam",
        "unrecorded-managed",
        "iam-attached-policy-in-residency",
        lambda bad: [
            attach(
                "unrecorded-managed-" + ("bad" if bad else "ok"),
                "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess" if bad else READ,
            )
        ],
    ),
    Case(
        "iam",
        "customer-policy",
        "iam-attached-policy-in-residency",
        lambda bad: [
            attach("customer-policy-bad", f"arn:aws:iam::{ACCOUNT}:policy/outside")
            if bad
            else with_deps(attach("customer-policy-ok", UNKNOWN), policyArn=STACK_POLICY)
        ],
    ),
    Case(
        "iam",
        "deny-credit",
        "iam-attached-policy-in-residency",
        lambda bad: _deny_role("deny-credit-" + ("bad" if bad else "ok"), conditional=bad),
    ),
    # 4. every data path's destination, and model IDs inside strings
    Case(
        "paths",
        "inline-replication",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:s3/bucket:Bucket",
                "inline-replication-" + ("bad" if bad else "ok"),
                EU,
                bucket="rt-source-" + ("bad" if bad else "ok"),
                replicationConfiguration={
                    "role": f"arn:aws:iam::{ACCOUNT}:role/replication",
                    "rules": [
                        {"status": "Enabled", "destination": {"bucket": f"arn:aws:s3:::rt-{'us' if bad else 'ie'}"}}
                    ],
                },
            )
        ],
    ),
    Case(
        "paths",
        "dynamodb",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:dynamodb/table:Table",
                "dynamodb-" + ("bad" if bad else "ok"),
                EU,
                replicas=[{"regionName": "us-east-1" if bad else "eu-west-1"}],
            )
        ],
    ),
    Case(
        "paths",
        "subscription",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
                "subscription-bad",
                EU,
                destinationArn=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/sink",
            )
            if bad
            else with_deps(
                resource(
                    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
                    "subscription-ok",
                    EU,
                    destinationArn=UNKNOWN,
                ),
                destinationArn=STREAM,
            )
        ],
    ),
    Case(
        "paths",
        "firehose",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
                "firehose-" + ("bad" if bad else "ok"),
                EU,
                destination="extended_s3",
                extendedS3Configuration={"bucketArn": f"arn:aws:s3:::rt-{'us' if bad else 'ie'}"},
            )
        ],
    ),
    Case(
        "paths",
        "firehose-http",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
                "firehose-http-" + ("bad" if bad else "ok"),
                EU,
                destination="http_endpoint",
                httpEndpointConfiguration={
                    "url": "https://collector.example.com/ingest" if bad else "https://eu.collector.example.com/ingest"
                },
            )
        ],
    ),
    Case(
        "paths",
        "event-target",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:cloudwatch/eventTarget:EventTarget",
                "event-target-" + ("bad" if bad else "ok"),
                EU,
                rule="r",
                arn=f"arn:aws:events:{'us-east-1' if bad else 'eu-west-1'}:{ACCOUNT}:event-bus/central",
            )
        ],
    ),
    Case(
        "paths",
        "event-endpoint",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:cloudwatch/eventEndpoint:EventEndpoint",
                "event-endpoint-" + ("bad" if bad else "ok"),
                EU,
                routingConfig={
                    "failoverConfig": {
                        "primary": {"healthCheck": "arn:aws:route53:::healthcheck/1"},
                        "secondary": {"route": "us-east-1" if bad else "eu-west-1"},
                    }
                },
                eventBuses=[{"eventBusArn": f"arn:aws:events:eu-central-1:{ACCOUNT}:event-bus/b"}],
            )
        ],
    ),
    Case(
        "paths",
        "backup",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:backup/plan:Plan",
                "backup-bad",
                EU,
                rules=[
                    {
                        "ruleName": "d",
                        "targetVaultName": "v",
                        "copyActions": [{"destinationVaultArn": f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:dr"}],
                    }
                ],
            )
            if bad
            else with_deps(
                resource(
                    "aws:backup/plan:Plan",
                    "backup-ok",
                    EU,
                    rules=[
                        {"ruleName": "d", "targetVaultName": "v", "copyActions": [{"destinationVaultArn": UNKNOWN}]}
                    ],
                ),
                rules=VAULT,
            )
        ],
    ),
    Case(
        "paths",
        "interface-endpoint",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "aws:ec2/vpcEndpoint:VpcEndpoint",
                "interface-endpoint-" + ("bad" if bad else "ok"),
                EU,
                vpcEndpointType="Interface",
                serviceName="com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0",
                serviceRegion="us-east-1" if bad else "eu-central-1",
            )
        ],
    ),
    Case(
        "paths",
        "diagnostics",
        "data-path-destination-in-residency",
        lambda bad: [
            with_deps(
                resource(
                    "azure-native:monitor:DiagnosticSetting",
                    "diagnostics-" + ("bad" if bad else "ok"),
                    AZ,
                    resourceUri=UNKNOWN,
                    workspaceId=f"{ARM}/rg-rt/providers/Microsoft.OperationalInsights/workspaces/"
                    + ("law-outside" if bad else "law-rt"),
                    logs=[{"categoryGroup": "allLogs", "enabled": True}],
                ),
                resourceUri=ACCOUNT_RT,
            )
        ],
    ),
    Case(
        "paths",
        "object-replication",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "azure-native:storage:ObjectReplicationPolicy",
                "object-replication-" + ("bad" if bad else "ok"),
                AZ,
                accountName="strt",
                resourceGroupName="rg-rt",
                sourceAccount=f"{ARM}/rg-rt/providers/Microsoft.Storage/storageAccounts/strt",
                destinationAccount=f"{ARM}/rg-dr/providers/Microsoft.Storage/storageAccounts/"
                + ("stoutside" if bad else "strt"),
            )
        ],
    ),
    Case(
        "paths",
        "geo-redundant",
        "data-path-destination-in-residency",
        lambda bad: [
            resource(
                "azure-native:storage:StorageAccount",
                "geo-redundant-" + ("bad" if bad else "ok"),
                AZ,
                accountName="stgeo" + ("bad" if bad else "ok"),
                resourceGroupName="rg-rt",
                location="swedencentral",
                sku={"name": "Standard_RAGRS" if bad else "Standard_ZRS"},
            )
        ],
    ),
    Case(
        "strings",
        "comma-list",
        "bedrock-profile-prefix-allowed",
        lambda bad: [lam("comma-list-" + ("bad" if bad else "ok"), MODELS=f"{TITAN},{'us' if bad else 'eu'}.{SONNET}")],
    ),
    Case(
        "strings",
        "url",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            lam(
                "url-" + ("bad" if bad else "ok"),
                ENDPOINT="https://bedrock-runtime.eu-central-1.amazonaws.com/model/"
                + urllib.parse.quote(f"{'global' if bad else 'eu'}.{SONNET}")
                + "/converse",
            )
        ],
    ),
    Case(
        "strings",
        "user-data",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            resource(
                "aws:ec2/launchTemplate:LaunchTemplate",
                "user-data-" + ("bad" if bad else "ok"),
                EU,
                userData=_b64(f"#!/bin/bash\nexport MODEL_ID={'global' if bad else 'eu'}.{SONNET}\n"),
            )
        ],
    ),
    Case(
        "strings",
        "user-data-gzip",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            resource(
                "aws:ec2/launchTemplate:LaunchTemplate",
                "user-data-gzip-" + ("bad" if bad else "ok"),
                EU,
                userData=_b64(f"MODEL_ID={'us' if bad else 'eu'}.{SONNET}\n", zipped=True),
            )
        ],
    ),
    Case(
        "strings",
        "region-variable",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            lam(
                "region-variable-" + ("bad" if bad else "ok"),
                AWS_DEFAULT_REGION="us-east-1" if bad else "eu-central-1",
                MODEL_ID=TITAN,
            )
        ],
    ),
    Case(
        "strings",
        "endpoint-override",
        "bedrock-profile-prefix-allowed",
        lambda bad: [
            resource(
                "aws:ecs/taskDefinition:TaskDefinition",
                "endpoint-override-" + ("bad" if bad else "ok"),
                EU,
                family="f",
                containerDefinitions=json.dumps(
                    [
                        {
                            "name": "app",
                            "environment": [
                                {"name": "MODEL_ID", "value": TITAN},
                                {"name": "BEDROCK_URL", "value": runtime_url("us-east-1" if bad else "eu-central-1")},
                            ],
                        }
                    ]
                ),
            )
        ],
    ),
    # 5. the default provider's Region as the provider reads it (residency pinning: test_residency_is_pinned)
    Case(
        "provider-region",
        "default-provider",
        "aws-region-allowed",
        lambda bad: [
            resource(
                "aws:ec2/vpc:Vpc", "default-provider-" + ("bad" if bad else "ok"), DEFAULT_BARE if bad else DEFAULT_SET
            )
        ],
    ),
    Case(
        "provider-region",
        "explicit-no-region",
        "aws-region-allowed",
        lambda bad: _on_own_provider(
            "explicit-no-region-" + ("bad" if bad else "ok"), {} if bad else {"region": "eu-west-1"}
        ),
    ),
    # 6. exemptions past the limit exempt nothing, in every pack
    Case(
        "exemptions",
        "far-region",
        "aws-region-allowed",
        lambda bad: [
            resource(
                "aws:ec2/vpc:Vpc",
                "far-region-" + ("bad" if bad else "ok"),
                US,
                tags=exempt(800 if bad else 30, "aws-region-allowed"),
            )
        ],
    ),
    Case(
        "exemptions",
        "far-coverage",
        "policy-coverage",
        lambda bad: [
            resource(
                "aws-native:lambda:Function",
                "far-coverage-" + ("bad" if bad else "ok"),
                NATIVE,
                tags=[{"key": k, "value": v} for k, v in exempt(367 if bad else 366, "policy-coverage").items()],
            )
        ],
    ),
    # 7. security rules
    Case(
        "security",
        "ip-rules-any",
        "ai-network-restricted",
        lambda bad: [
            resource(
                "azure-native:cognitiveservices:Account",
                "ip-rules-any-" + ("bad" if bad else "ok"),
                AZ,
                accountName="ai-ip-any-" + ("bad" if bad else "ok"),
                resourceGroupName="rg-rt",
                location="swedencentral",
                identity={"type": "SystemAssigned"},
                properties={
                    "disableLocalAuth": True,
                    "publicNetworkAccess": "Enabled",
                    "networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "0.0.0.0/0"}] if bad else []},
                },
            )
        ],
    ),
    Case(
        "security",
        "ip-rules-range",
        "ai-network-restricted",
        lambda bad: [
            resource(
                "azure:cognitive/account:Account",
                "ip-rules-range-" + ("bad" if bad else "ok"),
                AZ_CLASSIC,
                name="ai-ip-range-" + ("bad" if bad else "ok"),
                resourceGroupName="rg-rt",
                location="swedencentral",
                kind="AIServices",
                skuName="S0",
                localAuthEnabled=False,
                identity={"type": "SystemAssigned"},
                networkAcls={"defaultAction": "Deny", "ipRules": ["203.0.113.0/24"] if bad else []},
            )
        ],
    ),
    Case(
        "security",
        "identity-none",
        "ai-managed-identity",
        lambda bad: [
            resource(
                "azure-native:cognitiveservices:Account",
                "identity-none-" + ("bad" if bad else "ok"),
                AZ,
                accountName="ai-identity-" + ("bad" if bad else "ok"),
                resourceGroupName="rg-rt",
                location="swedencentral",
                identity={"type": "none" if bad else "SystemAssigned"},
                properties=SECURE,
            )
        ],
    ),
    Case(
        "security",
        "classic-local-auth",
        "ai-local-auth-disabled",
        lambda bad: [
            resource(
                "azure:cognitive/account:Account",
                "classic-local-auth-" + ("bad" if bad else "ok"),
                AZ_CLASSIC,
                name="ai-classic-" + ("bad" if bad else "ok"),
                resourceGroupName="rg-rt",
                location="swedencentral",
                kind="AIServices",
                skuName="S0",
                localAuthEnabled=bad,
                publicNetworkAccessEnabled=False,
                identity={"type": "SystemAssigned"},
            )
        ],
    ),
    Case(
        "security",
        "generic-hub",
        "ai-network-restricted",
        lambda bad: [
            resource(
                "azure-native:resources:Resource",
                "generic-hub-" + ("bad" if bad else "ok"),
                AZ,
                resourceProviderNamespace="Microsoft.MachineLearningServices",
                parentResourcePath="",
                resourceType="workspaces",
                resourceName="hub-" + ("bad" if bad else "ok"),
                resourceGroupName="rg-rt",
                location="swedencentral",
                kind="Hub",
                identity={"type": "SystemAssigned"},
                properties={"publicNetworkAccess": "Enabled" if bad else "Disabled"},
            )
        ],
    ),
    Case(
        "security",
        "classic-hub",
        "ai-network-restricted",
        lambda bad: [
            resource(
                "azure:aifoundry/hub:Hub",
                "classic-hub-" + ("bad" if bad else "ok"),
                AZ_CLASSIC,
                name="chub-" + ("bad" if bad else "ok"),
                resourceGroupName="rg-rt",
                location="swedencentral",
                identity={"type": "SystemAssigned"},
                publicNetworkAccess="Enabled" if bad else "Disabled",
            )
        ],
    ),
]


def redteam_graph() -> Any:
    resources = list(SHARED)
    for case in CASES:
        resources += case.make(True) + case.make(False)
    g = graph(resources)
    g.config["crosscloud:aws"] = json.dumps({"region": "eu-central-1"})
    return g


def located(**extra: Any) -> dict[str, Any]:
    return {"approved_external": APPROVED, **extra}


RESIDENCY_CONFIG: dict[str, Any] = {
    "all": "mandatory",
    "residency-pinned": {"residency": "eu"},
    **{
        rule: located()
        for rule in (
            "azure-location-allowed",
            "azure-deployment-sku-allowed",
            "azure-datazone-needs-member-region",
            "azure-serverless-endpoint-region",
            "bedrock-logging-destination-in-region",
            "replication-stays-in-residency",
            "data-path-destination-in-residency",
            "iam-attached-policy-in-residency",
            "bedrock-application-profile-in-stack",
        )
    },
}


@pytest.fixture(scope="module")
def redteam(project: Project) -> CheckResult:
    from crosscloud.engine.policy_config import parse_policy_config

    policies = project.root / "policies"
    runs = [
        PackRun(policies / "residency", parse_policy_config(RESIDENCY_CONFIG, "residency")),
        PackRun(policies / "security", parse_policy_config({"all": "mandatory"}, "security")),
        PackRun(
            policies / "governance",
            parse_policy_config({"all": "mandatory", "exemptions-in-force": "advisory"}, "governance"),
        ),
    ]
    return check_graph(redteam_graph(), runs)


def found_by(result: CheckResult) -> dict[str, dict[str, list[str]]]:
    """resource name -> policy -> messages."""
    found: dict[str, dict[str, list[str]]] = {}
    for v in result.violations:
        name = v.urn.split("::")[-1] if v.urn else "(stack)"
        found.setdefault(name, {}).setdefault(v.policy, []).append(v.message)
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_walkaround_is_caught_and_its_twin_passes(redteam: CheckResult, case: Case) -> None:
    found = found_by(redteam)
    bad = found.get(case.bad, {})
    assert case.rule in bad, (case.bad, bad)
    if case.also:
        assert case.also in bad, (case.bad, bad)
    assert all(
        v.enforcement_level == "mandatory"
        for v in redteam.violations
        if v.urn.endswith(f"::{case.bad}") and v.policy == case.rule
    )
    ok = found.get(case.ok, {})
    judged = RESIDENCY_RULES | {case.rule, case.also} - {""}
    assert not set(ok) & judged, (case.ok, ok)


def test_at_least_two_cases_per_class() -> None:
    classes: dict[str, int] = {}
    for case in CASES:
        classes[case.klass] = classes.get(case.klass, 0) + 1
    assert set(classes) == {
        "tokens",
        "external",
        "iam",
        "paths",
        "strings",
        "provider-region",
        "exemptions",
        "security",
    }
    assert min(classes.values()) >= 2, classes


def test_messages_say_what_would_make_it_checkable(redteam: CheckResult) -> None:
    found = found_by(redteam)
    [native] = found["coverage-native-bad"]["policy-coverage"]
    assert native.startswith("aws-native:lambda:Function (aws-native) is not translated to a type the residency rules")
    assert "make it checkable: use the aws provider's resource" in native
    [generic] = found["coverage-generic-bad"]["policy-coverage"]
    assert "of ARM type Microsoft.Search/searchServices is not modelled" in generic
    assert "regional_types" in found["coverage-package-bad"]["policy-coverage"][0]
    assert "its parent 'ai-elsewhere' (accountName) is not managed by this stack" in " ".join(
        found["external-account-bad"]["azure-location-allowed"]
    )
    assert "fails closed" in found["other-group-bad"]["azure-location-allowed"][0]
    assert (
        "outside1 at policy.Statement[0].Resource is an application inference profile this stack does not"
        in (found["profile-grant-bad"]["bedrock-application-profile-in-stack"][0])
    )


def test_iam_wildcards_name_the_regions_and_profiles_they_reach(redteam: CheckResult) -> None:
    found = found_by(redteam)
    [question] = found["region-question-mark-bad"]["bedrock-profile-prefix-allowed"]
    assert "matches foundation models in eu-central-2" in question and "outside residency 'eu'" in question
    assert (
        "us. inference-profiles, which may route to" in found["profile-star-bad"]["bedrock-profile-prefix-allowed"][0]
    )
    assert "matches foundation models in us-east-1" in found["model-star-bad"]["bedrock-profile-prefix-allowed"][0]
    anything = " ".join(found["any-resource-bad"]["iam-no-global-inference-grant"])
    assert "global. inference-profiles" in anything
    assert "NotResource" in found["not-resource-bad"]["iam-no-global-inference-grant"][0]
    assert (
        "AmazonBedrockFullAccess grants bedrock:Invoke*"
        in found["attachment-bad"]["iam-attached-policy-in-residency"][0]
    )
    assert (
        "AmazonSageMakerFullAccess, which the catalog does not record"
        in (found["unrecorded-managed-bad"]["iam-attached-policy-in-residency"][0])
    )
    assert "a policy this stack does not manage" in found["customer-policy-bad"]["iam-attached-policy-in-residency"][0]


def test_data_paths_and_strings_name_their_destination(redteam: CheckResult) -> None:
    found = found_by(redteam)
    rule = "data-path-destination-in-residency"
    assert "copies objects to bucket arn:aws:s3:::rt-us in us-east-1" in found["inline-replication-bad"][rule][0]
    assert "log events go to arn:aws:kinesis:us-east-1" in found["subscription-bad"][rule][0]
    assert "fails over (secondary) to us-east-1" in found["event-endpoint-bad"][rule][0]
    assert "diagnostics go to Log Analytics workspace" in found["diagnostics-bad"][rule][0]
    assert "Standard_RAGRS replicates the account to its region's pair" in found["geo-redundant-bad"][rule][0]
    prefix = "bedrock-profile-prefix-allowed"
    assert "(base64)" in found["user-data-bad"][prefix][0] and "global. profile" in found["user-data-bad"][prefix][0]
    override = found["region-variable-bad"][prefix][0]
    assert "called from us-east-1: AWS_DEFAULT_REGION at environment.variables.AWS_DEFAULT_REGION" in override
    assert "a Bedrock endpoint URL" in found["endpoint-override-bad"][prefix][0]


def test_exemptions_past_the_limit_are_not_in_force(redteam: CheckResult) -> None:
    found = found_by(redteam)
    assert "exemption crosscloud:exempt:aws-region-allowed runs to" in found["far-region-bad"]["exemption-valid"][0]
    listed = {v.urn.split("::")[-1] for v in redteam.violations if v.policy == "exemptions-in-force"}
    assert {"far-region-ok", "far-coverage-ok"} <= listed
    assert not listed & {"far-region-bad", "far-coverage-bad"}, "an exemption that exempts nothing is not in force"


def test_the_deny_credited_is_the_unconditional_one(redteam: CheckResult) -> None:
    found = found_by(redteam)
    assert "PowerUserAccess grants" in found["deny-credit-bad"]["iam-attached-policy-in-residency"][0]
    assert "deny-credit-ok" not in found


def test_residency_is_pinned_by_the_policy_config(project: Project) -> None:
    """A stack that moves its own residency set fails the pinned config; the red-team graph (eu) did not."""
    eu = provider("aws", "aws-eu", region="eu-central-1")
    cases = [eu, resource("aws:ec2/vpc:Vpc", "vpc", eu)]
    pinned = {"residency-pinned": {"residency": "eu"}}
    moved = check_graph(graph(cases, residency="us"), [project.root / "policies" / "residency"], pinned)
    [violation] = [v for v in moved.violations if v.policy == "residency-pinned"]
    assert violation.message.startswith("crosscloud:residency is 'us' but the policy config pins 'eu'")
    assert violation.enforcement_level == "mandatory"
    # Under the moved set the VPC's Region is outside 'us', yet the verdict was already failed by the pin.
    assert {v.policy for v in moved.violations} >= {"residency-pinned", "aws-region-allowed"}


def test_pinned_twin_in_the_redteam_run(redteam: CheckResult) -> None:
    assert not [v for v in redteam.violations if v.policy == "residency-pinned"]


def test_approved_external_is_validated_by_the_engine(project: Project) -> None:
    bad = {"azure-location-allowed": {"approved_external": [{"id": "ai-x", "reason": "no location given here"}]}}
    with pytest.raises(DeclarationError, match="location"):
        check_graph(graph([]), [project.root / "policies" / "residency"], bad)
