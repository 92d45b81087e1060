"""The stack declaration as component inputs: the same keys as `Pulumi.<stack>.yaml` (`crosscloud:<key>` without the
namespace), typed so the component provider can infer a schema for every Pulumi language.

What the SDK's schema inference understands shapes this module: `TypedDict`s of plain types, lists, `dict[str, ...]`,
nested TypedDicts and `str` enums (`StrEnum`), with real (not string) annotations, so this module must not use
`from __future__ import annotations`. Dates and CIDRs are strings here; the pydantic models of
`crosscloud.declaration.spec` validate everything (ranges, patterns, the catalog) once the inputs arrive, so the rules
live in one place. The types are plain, not `pulumi.Input`: a declaration is checked before any resource exists, so
every value must be known when the component is constructed.
"""

from enum import StrEnum
from typing import NotRequired, TypedDict


class Environment(StrEnum):
    """What the stack is: prod protects stateful resources and refuses what only a dev stack may do."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class Cloud(StrEnum):
    AWS = "aws"
    AZURE = "azure"


class ContentFilterStrength(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class PiiAction(StrEnum):
    BLOCK = "BLOCK"
    ANONYMIZE = "ANONYMIZE"


class AwsRoute(StrEnum):
    """How AWS serves an endpoint: Bedrock (default) or the model's open weights on a GPU pool."""

    BEDROCK = "bedrock"
    SELFHOSTED = "selfhosted"


class AzureRoute(StrEnum):
    """How Azure serves an endpoint: a Foundry deployment, a serverless API endpoint or self-hosted open weights."""

    DEPLOYMENT = "deployment"
    SERVERLESS = "serverless"
    SELFHOSTED = "selfhosted"


class Commitment(StrEnum):
    """A Bedrock provisioned-throughput term (neither can be cancelled)."""

    ONE_MONTH = "OneMonth"
    SIX_MONTHS = "SixMonths"


class DnsMode(StrEnum):
    """Who owns the Private Link DNS zones: crosscloud, the platform team (their zone IDs), or their Azure Policy."""

    CREATE = "create"
    EXISTING = "existing"
    POLICY = "policy"


class FoundryContentFilter(StrEnum):
    """The severity from which the Foundry RAI policy blocks prompts and completions."""

    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


class Reservation(StrEnum):
    """`on-demand` and `capacity-block` on AWS, `targeted` and `block` on Azure."""

    ON_DEMAND = "on-demand"
    CAPACITY_BLOCK = "capacity-block"
    TARGETED = "targeted"
    BLOCK = "block"


class PriceKind(StrEnum):
    EC2_ON_DEMAND = "ec2-on-demand"
    EC2_CAPACITY_BLOCK = "ec2-capacity-block"
    AZURE_VM = "azure-vm"
    AZURE_PTU = "azure-ptu"
    BEDROCK_PROVISIONED = "bedrock-provisioned"


class PriceUnit(StrEnum):
    INSTANCE_HOUR = "instance-hour"
    PTU_HOUR = "ptu-hour"
    MODEL_UNIT_HOUR = "model-unit-hour"


class PriceTerm(StrEnum):
    HOURLY = "hourly"
    ONE_MONTH = "OneMonth"
    SIX_MONTHS = "SixMonths"


# -- AWS ------------------------------------------------------------------------------------------------------------


class AwsEndpointServices(TypedDict, total=False):
    """Optional Bedrock interface endpoints beside `bedrock` and `bedrock-runtime`."""

    agent_runtime: bool
    mantle: bool


class AwsNetworkSettings(TypedDict):
    """The stack's VPC: private subnets only, one per zone."""

    cidr: str
    zones: NotRequired[int]
    endpoints: NotRequired[AwsEndpointServices]
    flow_log_retention_days: NotRequired[int]


class DeniedTopic(TypedDict):
    name: str
    definition: str
    examples: NotRequired[list[str]]


class AwsGuardrailSettings(TypedDict, total=False):
    """The stack's Bedrock guardrail: content filters (prompt attacks included), PII and denied topics."""

    content_filter_strength: ContentFilterStrength
    pii_action: PiiAction
    pii_entities: list[str]
    denied_topics: list[DeniedTopic]
    require: bool


class AwsInvocationLoggingSettings(TypedDict, total=False):
    """Bedrock model invocation logging: one per account and Region, so exactly one stack enables it."""

    enabled: bool
    retention_days: int
    archive_days: int
    expire_days: int


class AwsSettings(TypedDict):
    region: str
    account_id: NotRequired[str]
    network: NotRequired[AwsNetworkSettings]
    guardrail: NotRequired[AwsGuardrailSettings]
    invocation_logging: NotRequired[AwsInvocationLoggingSettings]


# -- Azure ----------------------------------------------------------------------------------------------------------


class AzureDnsSettings(TypedDict, total=False):
    mode: DnsMode
    zone_ids: dict[str, str]


class AzureNetworkSettings(TypedDict):
    """The stack's VNet; subnets are carved from it."""

    cidr: str
    agent_subnet: NotRequired[bool]
    dns: NotRequired[AzureDnsSettings]


class AzureCmkSettings(TypedDict):
    key_vault_id: str
    key_name: str
    key_version: NotRequired[str]


class AzureFoundrySettings(TypedDict, total=False):
    projects: list[str]
    public_network_access: bool
    cmk: AzureCmkSettings
    content_filter: FoundryContentFilter


class AzureDiagnosticsSettings(TypedDict, total=False):
    workspace_id: str
    retention_days: int


class AzureSettings(TypedDict):
    location: str
    subscription_id: NotRequired[str]
    resource_group: NotRequired[str]
    network: NotRequired[AzureNetworkSettings]
    foundry: NotRequired[AzureFoundrySettings]
    diagnostics: NotRequired[AzureDiagnosticsSettings]


# -- endpoints, GPU capacity ----------------------------------------------------------------------------------------


class AwsProvisionedThroughput(TypedDict):
    model_units: int
    commitment: NotRequired[Commitment]
    approved_by: NotRequired[str]


class AwsModelChoice(TypedDict):
    """The AWS model serving a logical endpoint (a catalog key; `crosscloud models` lists them)."""

    model: str
    route: NotRequired[AwsRoute]
    gpu: NotRequired[str]
    replicas: NotRequired[int]
    provisioned: NotRequired[AwsProvisionedThroughput]
    lifecycle_ack: NotRequired[str]


class AzureThroughput(TypedDict, total=False):
    capacity: int
    provisioned: bool
    approved_by: str
    ends: str


class AzureModelChoice(TypedDict):
    """The Azure model serving a logical endpoint (a catalog key; `crosscloud models` lists them)."""

    model: str
    route: NotRequired[AzureRoute]
    sku: NotRequired[str]
    throughput: NotRequired[AzureThroughput]
    gpu: NotRequired[str]
    replicas: NotRequired[int]
    lifecycle_ack: NotRequired[str]


class Endpoint(TypedDict):
    """A logical endpoint applications call; each cloud may serve it with a different model."""

    name: str
    aws: NotRequired[AwsModelChoice]
    azure: NotRequired[AzureModelChoice]
    primary: NotRequired[Cloud]


class GpuReservation(TypedDict):
    """GPU capacity to hold; dates are ISO strings (YYYY-MM-DD)."""

    name: str
    cloud: Cloud
    instance_type: str
    count: int
    zone: str
    ends: str
    region: NotRequired[str]
    reservation: NotRequired[Reservation]
    starts: NotRequired[str]
    approved_by: NotRequired[str]
    cidr: NotRequired[str]


# -- identity -------------------------------------------------------------------------------------------------------


class GithubCi(TypedDict):
    github_repository: str
    branch: NotRequired[str]
    environment: NotRequired[str]
    oidc_provider_arn: NotRequired[str]


class AzureToAws(TypedDict):
    audience: str
    principal_id: str


class AwsToAzure(TypedDict, total=False):
    roles: list[str]


class WorkloadFederation(TypedDict, total=False):
    azure_to_aws: AzureToAws
    aws_to_azure: AwsToAzure


class Workload(TypedDict):
    name: str
    endpoints: NotRequired[list[str]]
    aws_services: NotRequired[list[str]]
    aws_roles: NotRequired[list[str]]
    federation: NotRequired[WorkloadFederation]


class AwsOutboundFederation(TypedDict, total=False):
    manage: bool
    issuer: str


class Federation(TypedDict, total=False):
    entra_tenant_id: str
    entra_oidc_provider_arn: str
    aws_outbound: AwsOutboundFederation


class Identity(TypedDict, total=False):
    ci: GithubCi
    workloads: list[Workload]
    federation: Federation


# -- lifecycle, serving, cost ---------------------------------------------------------------------------------------


class LifecycleSettings(TypedDict, total=False):
    warn_days: int


class ServingSettings(TypedDict, total=False):
    image_digest: str


class MonthlyLimits(TypedDict, total=False):
    total: float
    aws: float
    azure: float


class Budget(TypedDict):
    monthly: MonthlyLimits
    currency: NotRequired[str]


class PriceRow(TypedDict):
    kind: PriceKind
    sku: str
    region: str
    price: float
    unit: PriceUnit
    date: str
    source: str
    verified: bool
    term: NotRequired[PriceTerm]
    currency: NotRequired[str]
    note: NotRequired[str]


class DeclarationArgs(TypedDict):
    """One stack's declaration: `residency` is required, everything else as in `Pulumi.<stack>.yaml`."""

    residency: str
    environment: NotRequired[Environment]
    tags: NotRequired[dict[str, str]]
    aws: NotRequired[AwsSettings]
    azure: NotRequired[AzureSettings]
    endpoints: NotRequired[list[Endpoint]]
    gpu: NotRequired[list[GpuReservation]]
    identity: NotRequired[Identity]
    lifecycle: NotRequired[LifecycleSettings]
    serving: NotRequired[ServingSettings]
    budget: NotRequired[Budget]
    prices: NotRequired[list[PriceRow]]
