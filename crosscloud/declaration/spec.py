"""The typed stack declaration: one `PlatformSpec` per stack, read from the `crosscloud:*` config keys.

Field names are the config keys (``crosscloud:<field>``); nested keys are snake_case. Structural rules live here;
rules that need the catalog (regions, models, SKUs) live in `checks.py`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from crosscloud.catalog.prices import Budget, PriceError, check_rows
from crosscloud.catalog.schema import PriceRow
from crosscloud.declaration.errors import quoted
from crosscloud.declaration.secrets import looks_like_key_material

Cloud = Literal["aws", "azure"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")]
TagKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 _.:=+@-]{1,128}$")]
TagValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 _.:/=+@-]{0,256}$")]


# Address space a VPC or VNet may use privately: RFC 1918 and the shared address space of RFC 6598 (both clouds accept
# it). `ipaddress.is_private` would also admit loopback, link-local, 0.0.0.0/8 and the benchmarking range.
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def _private_cidr(value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if not any(value.subnet_of(r) for r in PRIVATE_RANGES):
        raise ValueError(f"must lie inside a private range ({', '.join(str(r) for r in PRIVATE_RANGES)})")
    if not 16 <= value.prefixlen <= 24:
        raise ValueError("prefix length must be between /16 and /24")
    return value


def _cidr_text(value: object) -> object:
    """A CIDR is written as text ('10.40.0.0/16'): an int or a bool would be read as an address, silently."""
    if not isinstance(value, str):
        raise ValueError("must be a CIDR string such as '10.40.0.0/16'")
    return value


PrivateCidr = Annotated[ipaddress.IPv4Network, BeforeValidator(_cidr_text), AfterValidator(_private_cidr)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy, AWS API reference, checked 2026-11-23).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"must be a CloudWatch Logs retention period: {', '.join(map(str, LOG_RETENTION_DAYS))}")
    return value


RetentionDays = Annotated[StrictInt, AfterValidator(_retention)]


class AwsEndpointServices(_Strict):
    """Optional Bedrock interface endpoints beside the always-present `bedrock` and `bedrock-runtime`."""

    agent_runtime: StrictBool = False  # com.amazonaws.<region>.bedrock-agent-runtime
    mantle: StrictBool = False  # com.amazonaws.<region>.bedrock-mantle (OpenAI-compatible APIs)


class AwsNetwork(_Strict):
    """VPC of the stack: private subnets only, one per zone."""

    cidr: PrivateCidr
    zones: StrictInt = Field(default=2, ge=1, le=6)
    endpoints: AwsEndpointServices = AwsEndpointServices()
    flow_log_retention_days: RetentionDays = 365


GuardrailName = Annotated[str, StringConstraints(pattern=r"^[0-9a-zA-Z_ !?.-]{1,100}$")]


class DeniedTopic(_Strict):
    """A topic the guardrail refuses (Bedrock topic policy, type DENY)."""

    name: GuardrailName
    definition: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    examples: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(default=[], max_length=5)


# PII entity types of the Bedrock guardrail sensitive-information filter (GuardrailPiiEntityConfig, Bedrock API
# reference, checked 2026-11-23); the default set is the one that matters for EU personal data and credentials.
PII_TYPES = (
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
    "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
)  # fmt: skip
PiiType = Literal[PII_TYPES]  # type: ignore[valid-type]


class AwsGuardrail(_Strict):
    """The stack's Bedrock guardrail: content filters (prompt attacks included), PII, denied topics."""

    content_filter_strength: Literal["LOW", "MEDIUM", "HIGH"] = "HIGH"
    pii_action: Literal["BLOCK", "ANONYMIZE"] = "ANONYMIZE"
    pii_entities: list[PiiType] = Field(
        default=[
            "EMAIL",
            "PHONE",
            "NAME",
            "ADDRESS",
            "CREDIT_DEBIT_CARD_NUMBER",
            "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
            "AWS_ACCESS_KEY",
            "AWS_SECRET_KEY",
            "PASSWORD",
            "IP_ADDRESS",
        ],
        min_length=1,
    )
    denied_topics: list[DeniedTopic] = Field(default=[], max_length=30)
    # Workload roles may invoke models only with this guardrail (IAM condition bedrock:GuardrailIdentifier).
    require: StrictBool = False


class AwsInvocationLogging(_Strict):
    """Bedrock model invocation logging: one configuration per account and Region, so exactly one stack enables it."""

    enabled: StrictBool = False
    retention_days: RetentionDays = 365
    # S3 copies move to Glacier Instant Retrieval after this many days and expire after `expire_days`.
    archive_days: StrictInt = Field(default=90, ge=30)
    expire_days: StrictInt = Field(default=730, ge=1)

    @model_validator(mode="after")
    def _order(self) -> AwsInvocationLogging:
        if self.expire_days <= self.archive_days:
            raise ValueError("expire_days must be greater than archive_days")
        return self


class AwsSettings(_Strict):
    region: str
    account_id: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None
    network: AwsNetwork | None = None
    guardrail: AwsGuardrail = AwsGuardrail()
    invocation_logging: AwsInvocationLogging = AwsInvocationLogging()


# Azure Private Link DNS zones crosscloud's Azure components resolve through (public cloud names).
FOUNDRY_DNS_ZONES = (
    "privatelink.cognitiveservices.azure.com",
    "privatelink.openai.azure.com",
    "privatelink.services.ai.azure.com",
)
ML_DNS_ZONES = ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
# A self-hosted fleet reads its weights from a storage account and its image from a registry, both private.
SERVING_DNS_ZONES = ("privatelink.blob.core.windows.net", "privatelink.azurecr.io")
PrivateDnsZoneName = Literal[
    "privatelink.cognitiveservices.azure.com",
    "privatelink.openai.azure.com",
    "privatelink.services.ai.azure.com",
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.azurecr.io",
]
_GUID = r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
ArmId = Annotated[str, StringConstraints(pattern=rf"^/subscriptions/{_GUID}/resourceGroups/[^/]+/providers/[^/]+/.+$")]
KeyVaultId = Annotated[
    str,
    StringConstraints(
        pattern=rf"^/subscriptions/{_GUID}/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[A-Za-z0-9-]{{3,24}}$"
    ),
]


class AzureDns(_Strict):
    """Who owns the Private Link DNS zones: crosscloud creates and links them (`create`), the platform team already
    has them (`existing`: their IDs), or the platform team's Azure Policy adds the records (`policy`: crosscloud
    creates no zone and no zone group, which such a DeployIfNotExists policy would otherwise fight)."""

    mode: Literal["create", "existing", "policy"] = "create"
    zone_ids: dict[PrivateDnsZoneName, ArmId] = {}

    @model_validator(mode="after")
    def _ids_only_when_existing(self) -> AzureDns:
        if self.mode == "existing":
            missing = [z for z in FOUNDRY_DNS_ZONES if z not in self.zone_ids]
            if missing:
                raise ValueError(f"mode 'existing' needs zone_ids for {', '.join(missing)}")
        elif self.zone_ids:
            raise ValueError(f"zone_ids are only read with mode 'existing' (mode is {self.mode!r})")
        return self


class AzureNetwork(_Strict):
    """VNet of the stack; subnets are carved from it."""

    cidr: PrivateCidr
    # A subnet delegated to Microsoft.App/environments, for Foundry Agent Service's network injection.
    agent_subnet: StrictBool = False
    dns: AzureDns = AzureDns()


class AzureCmk(_Strict):
    """A customer-managed key in the platform team's Key Vault; no version means 'follow the latest' (rotation)."""

    key_vault_id: KeyVaultId
    key_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,127}$")]
    key_version: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = None


class AzureFoundry(_Strict):
    """The Foundry account: projects, network exposure, encryption, content filtering."""

    projects: list[Slug] = Field(default=["default"], min_length=1)
    # Off unless asked; a prod stack may not turn it on (private endpoint only).
    public_network_access: StrictBool = False
    cmk: AzureCmk | None = None
    # Severity from which the custom RAI policy blocks prompts and completions.
    content_filter: Literal["Low", "Medium", "High"] = "Medium"

    @model_validator(mode="after")
    def _unique_projects(self) -> AzureFoundry:
        if len(set(self.projects)) != len(self.projects):
            raise ValueError("project names must be unique")
        return self


class AzureDiagnostics(_Strict):
    """Where resource logs go: an existing Log Analytics workspace, or one this stack creates."""

    workspace_id: ArmId | None = None
    retention_days: StrictInt = Field(default=90, ge=30, le=730)


class AzureSettings(_Strict):
    location: str
    subscription_id: (
        Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")] | None
    ) = None
    resource_group: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.()-]{1,89}[A-Za-z0-9_()-]$")] | None = None
    network: AzureNetwork | None = None
    foundry: AzureFoundry = AzureFoundry()
    diagnostics: AzureDiagnostics = AzureDiagnostics()


# Who approved a spending commitment (and the ticket): stamped as the `crosscloud:approved-by` tag the capacity pack's
# commitment-needs-approval rule asks for.
Approval = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 _.:/=+@-]{3,256}$")]
APPROVAL_TAG = "crosscloud:approved-by"
# The end date of a GPU reservation that has none in its own inputs (Azure targeted reservations), as a tag.
GPU_ENDS_TAG = "crosscloud:ends"


# Who accepted that an endpoint runs on a model retiring soon (inside crosscloud:lifecycle.warn_days), and the ticket.
LifecycleAck = Approval


class LifecycleSettings(_Strict):
    """How far ahead a model's retirement counts as imminent: inside the window prod refuses the model unless the
    endpoint's cloud choice acknowledges it (`lifecycle_ack`); other stacks get a note."""

    warn_days: StrictInt = Field(default=90, ge=0, le=730)


class AwsProvisionedThroughput(_Strict):
    """Bedrock provisioned throughput: model units bought for a term (OneMonth and SixMonths cannot be cancelled)."""

    model_units: StrictInt = Field(ge=1, le=1000)
    commitment: Literal["OneMonth", "SixMonths"] | None = None
    approved_by: Approval | None = None


Replicas = Annotated[StrictInt, Field(ge=1, le=64)]


def _selfhosted_fields(choice: BaseModel, route: str | None, gpu: str | None, replicas: int | None) -> None:
    """`gpu` and `replicas` belong to the self-hosted route, which needs a pool; managed-only fields do not apply."""
    if route == "selfhosted":
        if gpu is None:
            raise ValueError("route selfhosted needs gpu: the name of a crosscloud:gpu pool of this cloud")
        if "lifecycle_ack" in choice.model_fields_set:
            raise ValueError(
                "lifecycle_ack acknowledges a managed offering's retirement; pinned open weights do not retire"
            )
    elif gpu is not None or replicas is not None:
        raise ValueError("gpu and replicas belong to route: selfhosted (vLLM on a GPU reservation)")


class AwsModelChoice(_Strict):
    """The AWS model serving a logical endpoint: on Bedrock (default; the offering, bare ID or geo profile, follows
    the residency), or `route: selfhosted`: the model's open weights served by vLLM on a `crosscloud:gpu` pool."""

    model: str
    route: Literal["bedrock", "selfhosted"] | None = None
    gpu: Slug | None = None  # the pool a self-hosted route runs on
    replicas: Replicas | None = None  # instances serving it (default 1), at most the reservation's count
    provisioned: AwsProvisionedThroughput | None = None
    lifecycle_ack: LifecycleAck | None = None

    @model_validator(mode="after")
    def _route(self) -> AwsModelChoice:
        _selfhosted_fields(self, self.route, self.gpu, self.replicas)
        if self.route == "selfhosted" and self.provisioned is not None:
            raise ValueError("provisioned buys Bedrock throughput; a self-hosted route runs on its GPU pool")
        return self

    @property
    def selfhosted(self) -> bool:
        return self.route == "selfhosted"


class AzureThroughput(_Strict):
    # Thousands of tokens per minute for pay-per-token SKUs; PTUs for provisioned ones.
    capacity: StrictInt = Field(default=10, ge=1, le=100_000)
    provisioned: StrictBool = False
    approved_by: Approval | None = None  # provisioned (PTU) capacity is a commitment
    # The last day of the provisioned commitment (the PTU reservation's term). In prod it must not run past the
    # model's retirement, so a provisioned deployment of a model with a retirement date needs one.
    ends: dt.date | None = None

    @model_validator(mode="after")
    def _ends(self) -> AzureThroughput:
        if self.ends is not None and not self.provisioned:
            raise ValueError("ends dates a provisioned commitment; pay-per-token throughput has none")
        return self


class AzureModelChoice(_Strict):
    """The Azure model serving a logical endpoint.

    `route` picks how Azure serves it: a Foundry deployment (`sku` = deployment type) or a serverless API endpoint
    (Models-as-a-Service in a hub/project), or `selfhosted`: the model's open weights served by vLLM on a
    `crosscloud:gpu` pool (`gpu`, `replicas`). Unset, the most contained resident offering wins: a resident
    deployment SKU in the catalog's preference order, else the serverless route. `sku` overrides the SKU choice.
    """

    model: str
    route: Literal["deployment", "serverless", "selfhosted"] | None = None
    sku: str | None = None
    throughput: AzureThroughput = AzureThroughput()
    gpu: Slug | None = None  # the pool a self-hosted route runs on
    replicas: Replicas | None = None  # VMs serving it (default 1), at most the reservation's capacity
    lifecycle_ack: LifecycleAck | None = None

    @property
    def selfhosted(self) -> bool:
        return self.route == "selfhosted"

    @model_validator(mode="after")
    def _route(self) -> AzureModelChoice:
        _selfhosted_fields(self, self.route, self.gpu, self.replicas)
        if self.route == "selfhosted" and (self.sku is not None or "throughput" in self.model_fields_set):
            raise ValueError(
                "sku and throughput describe a Foundry deployment; a self-hosted route runs on its GPU pool"
            )
        if self.route == "serverless" and self.sku is not None:
            raise ValueError("sku names a deployment type; the serverless route has none (drop sku or the route)")
        if self.route == "serverless" and self.throughput.provisioned:
            raise ValueError("serverless API endpoints are pay-per-token; provisioned throughput needs a deployment")
        return self


class Endpoint(_Strict):
    """A logical endpoint applications call; each cloud may serve it with a different model."""

    name: Slug
    aws: AwsModelChoice | None = None
    azure: AzureModelChoice | None = None
    primary: Cloud | None = None

    @model_validator(mode="after")
    def _clouds(self) -> Endpoint:
        served = [c for c in ("aws", "azure") if getattr(self, c) is not None]
        if not served:
            raise ValueError("an endpoint needs a model on aws, azure or both")
        if self.primary is not None and self.primary not in served:
            raise ValueError(f"primary is {self.primary!r} but that cloud serves no model here")
        if self.primary is None and len(served) == 2:
            raise ValueError("primary is required when both clouds serve the endpoint (aws or azure)")
        return self

    @property
    def primary_cloud(self) -> Cloud:
        if self.primary is not None:
            return self.primary
        return "aws" if self.aws is not None else "azure"


class GpuReservation(_Strict):
    """GPU capacity to hold: an EC2 capacity reservation / Capacity Block, or an Azure capacity reservation."""

    name: Slug
    cloud: Cloud
    instance_type: str
    count: StrictInt = Field(ge=1, le=64)
    region: str | None = None
    zone: str
    reservation: Literal["on-demand", "capacity-block", "targeted", "block"] | None = None
    starts: dt.date | None = None
    ends: dt.date
    approved_by: Approval | None = None
    # The VPC a self-hosted fleet runs in when this AWS pool is outside crosscloud:aws.region (where the stack's VPC
    # is): private, disjoint from the stack's networks.
    cidr: PrivateCidr | None = None

    @model_validator(mode="after")
    def _dates(self) -> GpuReservation:
        # A start in the past is the normal state of a reservation that is running: its declaration stays (the cloud
        # refuses a past start only when buying). One that has ended is over and belongs out of the declaration.
        today = dt.date.today()
        if self.ends <= today:
            raise ValueError(f"ends {self.ends} is not in the future (today is {today}): the reservation is over")
        if self.starts is not None and self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self

    @model_validator(mode="after")
    def _aws_capacity_block(self) -> GpuReservation:
        # EC2 Capacity Blocks last 1-14 days, or 7-day multiples up to 182 days (ec2-capacity-blocks.html, 2026-02).
        if self.cloud == "aws" and self.reservation == "capacity-block":
            if self.starts is None:
                raise ValueError("a capacity-block reservation needs starts (the first day of the block)")
            days = (self.ends - self.starts).days
            if not (1 <= days <= 14 or (days <= 182 and days % 7 == 0)):
                raise ValueError(f"a Capacity Block lasts 1-14 days or a multiple of 7 days up to 182 (got {days})")
        return self

    @model_validator(mode="after")
    def _azure_block(self) -> GpuReservation:
        """Azure Block reservations: a schedule of 1-14 whole days or 3-26 whole weeks, 1/2/4/.../64 VMs."""
        if self.cloud != "azure" or self.reservation != "block":
            return self
        if self.starts is None:
            raise ValueError("an Azure block reservation needs starts (its schedule start, within 56 days)")
        days = (self.ends - self.starts).days
        if not (1 <= days <= 14 or (days % 7 == 0 and 3 <= days // 7 <= 26)):
            raise ValueError(f"an Azure block lasts 1-14 days or 3-26 whole weeks; {days} days given")
        if self.count & (self.count - 1):
            raise ValueError(f"an Azure block reserves 1, 2, 4, 8, 16, 32 or 64 VMs; count {self.count} given")
        return self

    @property
    def approval_tags(self) -> dict[str, str]:
        return {APPROVAL_TAG: self.approved_by} if self.approved_by else {}

    @property
    def reservation_type(self) -> str:
        return self.reservation or ("on-demand" if self.cloud == "aws" else "targeted")


class ServingSettings(_Strict):
    """Self-hosted serving: `image_digest` pins the vLLM image the platform team mirrored (`crane digest` of their
    copy), over the catalog's; prod needs it while the catalog's digest is unverified."""

    image_digest: Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")] | None = None


class GithubCi(_Strict):
    """Keyless CI: GitHub Actions OIDC. Pull requests get a read-only preview role, `branch` the deploy role."""

    github_repository: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    branch: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]{1,200}$")] = "main"
    # The GitHub environment the deploy job runs in (e.g. one with required reviewers). A job that names an
    # environment gets the OIDC subject `repo:<repo>:environment:<name>` instead of the branch's, so the deploy role
    # and the branch federated credential trust that subject (restrict the environment to `branch` in GitHub).
    environment: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,255}$")] | None = None
    # Reuse the account's existing GitHub OIDC provider (one per account and URL) instead of creating one.
    oidc_provider_arn: (
        Annotated[
            str,
            StringConstraints(
                pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
            ),
        ]
        | None
    ) = None


AwsServicePrincipal = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$")]
AwsRoleArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")]


Guid = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")]
# What a workload asks Entra ID for a token for (IMDS `resource=`): an app registration's application ID URI
# (`api://...`, the form Entra's v1 tokens carry in `aud`) or its client ID (a GUID, what v2 tokens carry).
EntraAudience = Annotated[
    str, StringConstraints(pattern=r"^(api://[A-Za-z0-9._~/-]{1,200}|[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12})$")
]
# The audience Entra ID requires in a token it exchanges through a federated identity credential (public cloud).
ENTRA_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience, not a secret
# Entra ID accepts at most 20 federated identity credentials per user-assigned identity (entra-docs,
# workload-identity-federation-considerations, read 2026-12).
MAX_FEDERATED_CREDENTIALS = 20


class AzureToAws(_Strict):
    """The workload's Azure identity may assume its AWS role: AssumeRoleWithWebIdentity with an Entra ID token.

    The role trusts tokens of the stack's Entra tenant whose `aud` is `audience` and whose `sub` is `principal_id`,
    both exactly. Azure assigns the principal ID when it creates the identity, so it is declared (after the first
    `pulumi up`, from the stack output `azure_identity_principal_ids`) rather than read at preview: the trust policy
    stays a known document that policy packs read, and `pulumi up` stops if it differs from the identity's."""

    audience: EntraAudience
    principal_id: Guid


class AwsToAzure(_Strict):
    """The workload's AWS role (and `roles`, other roles of the same account) may sign in as its Azure identity:
    an Entra federated identity credential per role, issuer = the account's outbound federation issuer."""

    roles: list[AwsRoleArn] = []


class WorkloadFederation(_Strict):
    """Keyless identity across clouds, per direction."""

    azure_to_aws: AzureToAws | None = None
    aws_to_azure: AwsToAzure | None = None


class Workload(_Strict):
    """An application identity: an IAM role that may invoke exactly its endpoints' models, and a user-assigned
    managed identity granted exactly its endpoints on Azure."""

    name: Slug
    endpoints: list[str] = []
    # Who may assume the workload role on AWS: AWS service principals and/or existing role ARNs.
    aws_services: list[AwsServicePrincipal] = []
    aws_roles: list[AwsRoleArn] = []
    federation: WorkloadFederation = WorkloadFederation()


HttpsIssuer = Annotated[str, StringConstraints(pattern=r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/-]*)?$")]
AwsOidcProviderArn = Annotated[
    str, StringConstraints(pattern=rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/sts\.windows\.net/{_GUID}/$")
]


class AwsOutboundFederation(_Strict):
    """IAM outbound identity federation: one account-wide setting, so exactly one stack per account owns it.

    `manage: true`: this stack enables it (`aws.iam.OutboundWebIdentityFederation`, protected and retained: deleting
    it would turn the feature off for every workload of the account). Otherwise `issuer` names the issuer identifier
    of an account where someone else enabled it (`aws iam get-outbound-web-identity-federation-info`)."""

    manage: StrictBool = False
    issuer: HttpsIssuer | None = None

    @model_validator(mode="after")
    def _one_owner(self) -> AwsOutboundFederation:
        if self.manage == (self.issuer is not None):
            raise ValueError("set exactly one of manage: true (this stack owns it) or issuer (another owner's)")
        return self


class Federation(_Strict):
    """Stack-wide settings of cross-cloud federation."""

    # The Entra tenant whose tokens AWS trusts; default: the tenant of the Azure provider's credentials.
    entra_tenant_id: Guid | None = None
    # Reuse the account's IAM OIDC provider for the tenant (one per account and URL) instead of creating one.
    entra_oidc_provider_arn: AwsOidcProviderArn | None = None
    aws_outbound: AwsOutboundFederation | None = None


class Identity(_Strict):
    ci: GithubCi | None = None
    workloads: list[Workload] = []
    federation: Federation = Federation()


# Both clouds allow 50 tags per resource; crosscloud adds its own (stack_tags) and AWS children add "Name".
MAX_USER_TAGS = 44
RESERVED_TAG_PREFIXES = ("aws:", "azure", "microsoft", "windows")


class PlatformSpec(_Strict):
    """Everything one stack declares. Each field is the config key `crosscloud:<field>`."""

    residency: str
    # Required unless the stack is named dev, staging or prod (then it defaults to the name): a stack named prod
    # must never silently run as dev and protect nothing.
    environment: Literal["dev", "staging", "prod"]
    tags: dict[TagKey, TagValue] = Field(default={}, max_length=MAX_USER_TAGS)
    aws: AwsSettings | None = None
    azure: AzureSettings | None = None
    endpoints: list[Endpoint] = []
    gpu: list[GpuReservation] = []
    identity: Identity = Identity()
    lifecycle: LifecycleSettings = LifecycleSettings()
    serving: ServingSettings = ServingSettings()
    # The most the stack's commitments (GPU reservations, Capacity Blocks, provisioned throughput, PTU) may cost a
    # month; checked by the capacity pack's monthly-commitment-within-budget rule and shown by `crosscloud cost`.
    budget: Budget | None = None
    # Contract prices that replace the catalog's list prices for this stack (prices.yaml rows, same fields).
    prices: list[PriceRow] = Field(default=[], max_length=200)

    @field_validator("prices")
    @classmethod
    def _prices(cls, rows: list[PriceRow]) -> list[PriceRow]:
        try:
            check_rows(rows, "prices")
        except PriceError as exc:
            raise ValueError(str(exc)) from None
        return rows

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        lowered: dict[str, str] = {}
        for key, value in tags.items():
            if key.lower().startswith(RESERVED_TAG_PREFIXES):
                raise ValueError(
                    f"tag key {quoted(key)} uses a prefix the clouds reserve ({', '.join(RESERVED_TAG_PREFIXES)})"
                )
            if key.lower() in lowered:
                raise ValueError(
                    f"tag keys {quoted(lowered[key.lower()])} and {quoted(key)} differ only in case "
                    "(Azure tag names are case-insensitive)"
                )
            lowered[key.lower()] = key
            if looks_like_key_material(key) or looks_like_key_material(value):
                raise ValueError(
                    f"tag {quoted(key)} holds what looks like key material; tags are public metadata, never secrets"
                )
        return tags

    @property
    def protect_stateful(self) -> bool:
        """Stateful resources (logs, keys, reservations) are protected from deletion in prod."""
        return self.environment == "prod"
