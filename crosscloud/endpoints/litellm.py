"""A LiteLLM proxy config for one workload: each logical endpoint once per cloud that serves it, a fallback from the
primary cloud to the other, keyless on both clouds, every deployment's region explicit.

Written for and tested against litellm 1.110.2 (its real `Router` loads the file in tests/test_endpoints.py), whose
own `ConfigYAML` ignores typos and rejects valid `base_model` values, so the file is validated here by a strict model
of exactly what crosscloud emits (field names checked against LiteLLM's in the tests).

Facts this relies on (litellm 1.110.2 source, read 2026-12):
- Bedrock: an application inference profile ARN routes through Converse; `model_info.base_model` names the model
  for capabilities (llms/bedrock/common_utils.py). The web-identity path is taken only with `aws_role_name`,
  `aws_session_name` and `aws_web_identity_token` all set (base_aws_llm.py); `oidc/azure/<audience>` asks Azure's
  credential chain for a token whose audience is `<audience>` (secret_managers/main.py). A deployment's region is
  judged from `aws_region_name` alone (utils.py `_get_model_region`), so crosscloud emits only offerings its
  catalog places inside the residency set and never a `global.` profile.
- Azure: `azure/<deployment>` (OpenAI models), `azure_ai/<deployment>` (other Foundry models and serverless
  endpoints, `api_base` their URL); with `enable_azure_ad_token_refresh` and `AZURE_CLIENT_ID` set, the token comes
  from the user-assigned managed identity; `azure_ad_token: oidc/file//<absolute path>` with `tenant_id` and
  `client_id` exchanges a federated token read from the file (the double slash: a single one is refused as not
  absolute), and the file must lie under /var/run/secrets or /run/secrets (LITELLM_OIDC_ALLOWED_CREDENTIAL_DIRS).
- Self-hosted fleets: vLLM's OpenAI-compatible server through `hosted_vllm/<served model name>` with `api_base` the
  fleet's internal base URL (plain HTTP inside the private network; vLLM runs without an API key, so access is
  network-only and no credential is written).
- `region_name` is compared with LiteLLM's `allowed_model_region` ("eu", "us"): crosscloud sets the residency set's
  name, which every offering was checked against; a set LiteLLM does not know (eea, europe) then never passes an
  "eu" filter, which fails closed.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crosscloud.catalog import Catalog, ResidencySet
from crosscloud.declaration.errors import ConfigIssue, DeclarationError
from crosscloud.endpoints.contract import (
    AwsEndpoint,
    AzureEndpoint,
    Cloud,
    Contract,
    Endpoint,
    SelfHostedEndpoint,
    Workload,
)

LITELLM_VERSION = "1.110.2"
ALLOWED_TOKEN_DIRS = ("/var/run/secrets", "/run/secrets")
DEFAULT_TOKEN_FILE = "/var/run/secrets/crosscloud/aws-web-identity-token"  # noqa: S105 - a path, not a secret
OPENAI_FORMAT = "OpenAI"
NUM_RETRIES = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LitellmParams(_Strict):
    """The `litellm_params` crosscloud emits: no key field exists here, so none can be written."""

    model: str = Field(pattern=r"^(bedrock|azure|azure_ai|hosted_vllm)/\S+$")
    region_name: str
    aws_region_name: str | None = None
    aws_role_name: str | None = None
    aws_session_name: str | None = Field(default=None, pattern=r"^[\w+=,.@-]{2,64}$")
    aws_web_identity_token: str | None = Field(default=None, pattern=r"^oidc/azure/\S+$")
    aws_sts_endpoint: str | None = Field(default=None, pattern=r"^https://sts\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
    api_base: str | None = Field(default=None, pattern=r"^https?://\S+$")
    azure_scope: str | None = Field(default=None, pattern=r"^https://\S+/\.default$")
    azure_ad_token: str | None = Field(default=None, pattern=r"^oidc/file//\S+$")
    tenant_id: str | None = None
    client_id: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LitellmParams:
        provider = self.model.split("/", 1)[0]
        web_identity = (self.aws_role_name, self.aws_session_name, self.aws_web_identity_token)
        if provider == "hosted_vllm":
            if not self.api_base or any((self.aws_region_name, *web_identity, self.azure_scope, self.azure_ad_token)):
                raise ValueError("a self-hosted deployment names its api_base and takes no cloud credential")
        elif provider == "bedrock":
            if not self.aws_region_name:
                raise ValueError("a Bedrock deployment names its aws_region_name")
            if any(web_identity) and not all(web_identity):
                raise ValueError("web identity needs aws_role_name, aws_session_name and aws_web_identity_token")
            if any((self.api_base, self.azure_scope, self.azure_ad_token, self.tenant_id, self.client_id)):
                raise ValueError("a Bedrock deployment takes no Azure parameter")
        else:
            if not self.api_base or not self.api_base.startswith("https://") or not self.azure_scope:
                raise ValueError("an Azure deployment names its api_base and azure_scope")
            if any((self.aws_region_name, *web_identity, self.aws_sts_endpoint)):
                raise ValueError("an Azure deployment takes no AWS parameter")
            if self.azure_ad_token is not None and not (self.tenant_id and self.client_id):
                raise ValueError("a federated azure_ad_token needs tenant_id and client_id")
        if "global." in self.model:
            raise ValueError(f"{self.model}: a global inference profile may route anywhere; never emitted")
        return self


class ModelInfo(_Strict):
    id: str
    base_model: str
    mode: Literal["chat", "embedding"]

    @model_validator(mode="after")
    def _resident(self) -> ModelInfo:
        if "global." in self.base_model:
            raise ValueError(f"{self.base_model}: a global inference profile is never emitted")
        return self


class Deployment(_Strict):
    model_name: str = Field(pattern=r"^[a-z][a-z0-9-]*[a-z0-9](:(aws|azure))?$")
    litellm_params: LitellmParams
    model_info: ModelInfo


class RouterSettings(_Strict):
    fallbacks: list[dict[str, list[str]]]
    num_retries: int = Field(ge=0, le=10)


class LitellmSettings(_Strict):
    enable_azure_ad_token_refresh: bool = False


class LitellmConfig(_Strict):
    """The proxy config file: the subset of LiteLLM's config.yaml crosscloud writes, nothing else."""

    model_list: list[Deployment] = Field(min_length=1)
    router_settings: RouterSettings
    litellm_settings: LitellmSettings
    environment_variables: dict[str, str] = {}

    @model_validator(mode="after")
    def _fallbacks(self) -> LitellmConfig:
        names = [d.model_name for d in self.model_list]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique: {names}")
        ids = [d.model_info.id for d in self.model_list]
        if len(set(ids)) != len(ids):
            raise ValueError(f"model_info ids must be unique: {ids}")
        cloud = {d.model_name: _cloud_of(d) for d in self.model_list}
        for rule in self.router_settings.fallbacks:
            for source, targets in rule.items():
                for target in [source, *targets]:
                    if target not in cloud:
                        raise ValueError(f"fallback {source} -> {targets}: {target} is not in model_list")
                if any(cloud[t] == cloud[source] for t in targets):
                    raise ValueError(f"fallback {source} -> {targets} stays on {cloud[source]}; it must cross clouds")
        for key in self.environment_variables:
            if any(word in key.upper() for word in ("SECRET", "KEY", "PASSWORD", "TOKEN")):
                raise ValueError(f"environment variable {key}: the file holds identifiers only, never credentials")
        return self


def _cloud_of(deployment: Deployment) -> Cloud:
    return "aws" if deployment.model_info.id.endswith("-aws") else "azure"


def deployment_name(endpoint: str, cloud: Cloud, primary: Cloud) -> str:
    """The model name applications call is the logical endpoint (its primary cloud); the other cloud's deployment is
    `<endpoint>:<cloud>`, the fallback target (callable directly to pin a cloud)."""
    return endpoint if cloud == primary else f"{endpoint}:{cloud}"


def _fail(source: str, path: str, problem: str, allowed: str | None = None) -> DeclarationError:
    return DeclarationError([ConfigIssue(source, path, problem, allowed)])


def check_resident(contract: Contract, catalog: Catalog, residency: ResidencySet, name: str, e: Endpoint) -> None:
    """A second fence: every offering in the output is one the catalog places inside the residency set (a
    self-hosted fleet processes where its pool is)."""
    for cloud, side in (("aws", e.aws), ("azure", e.azure)):
        if isinstance(side, SelfHostedEndpoint) and not residency.admits(cloud, side.where):  # type: ignore[arg-type]
            raise _fail(
                contract.source,
                f"endpoints.{name}.{cloud}",
                f"the self-hosted fleet in {side.where!r} is outside residency {residency.name!r}",
            )
    if isinstance(e.aws, AwsEndpoint):
        offers = [o for o in catalog.aws_offerings(e.aws.catalog_model, e.aws.region) if o.invoke_id == e.aws.invoke_id]
        if e.aws.invoke_id.startswith("global.") or not offers or not offers[0].resident_in(residency):
            raise _fail(
                contract.source,
                f"endpoints.{name}.aws.invoke_id",
                f"{e.aws.invoke_id!r} in {e.aws.region} is not an offering the catalog places inside residency "
                f"{residency.name!r}; crosscloud emits no deployment that could leave it",
            )
    if isinstance(e.azure, AzureEndpoint):
        azure_offers = [
            o
            for o in catalog.azure_offerings(e.azure.catalog_model, e.azure.location)
            if o.route == e.azure.route and (e.azure.route == "serverless" or o.sku == e.azure.sku)
        ]
        if not azure_offers or not azure_offers[0].resident_in(residency):
            raise _fail(
                contract.source,
                f"endpoints.{name}.azure.sku",
                f"{e.azure.sku or e.azure.route!r} for {e.azure.catalog_model} in {e.azure.location} is not an "
                f"offering the catalog places inside residency {residency.name!r}",
            )


def _reach(contract: Contract, workload: str, w: Workload, endpoint: str, cloud: Cloud, runs_on: Cloud) -> None:
    """Fail unless the proxy, running on `runs_on` as `workload`, can reach `cloud` keylessly."""
    path = f"workloads.{workload}"
    if cloud == "aws" and w.aws is None:
        raise _fail(contract.source, path, f"has no AWS role, so the proxy cannot call {endpoint} on aws")
    if cloud == "azure" and w.azure is None:
        raise _fail(contract.source, path, f"has no Azure identity, so the proxy cannot call {endpoint} on azure")
    if cloud == runs_on:
        return
    if cloud == "aws" and w.azure_to_aws is None:
        raise _fail(
            contract.source,
            path,
            f"runs on azure but has no azure_to_aws federation to call {endpoint} on aws",
            "crosscloud:identity.workloads[].federation.azure_to_aws, or --runs-on aws",
        )
    if cloud == "azure" and w.aws_to_azure is None:
        raise _fail(
            contract.source,
            path,
            f"runs on aws but has no aws_to_azure federation to call {endpoint} on azure",
            "crosscloud:identity.workloads[].federation.aws_to_azure, or --runs-on azure",
        )


def render_litellm(
    contract: Contract,
    catalog: Catalog,
    workload: str,
    runs_on: Cloud,
    token_file: str = DEFAULT_TOKEN_FILE,
) -> LitellmConfig:
    """The proxy config for `workload`'s endpoints, as the proxy reaches them from `runs_on`."""
    if workload not in contract.workloads:
        raise _fail("--workload", "-", f"{workload!r} is not a workload of the stack", ", ".join(contract.workloads))
    if runs_on == "aws" and not (
        os.path.isabs(token_file)
        and any(os.path.commonpath([os.path.normpath(token_file), d]) == d for d in ALLOWED_TOKEN_DIRS)
    ):
        raise _fail("--token-file", "-", f"{token_file!r} is not an absolute path under LiteLLM's credential dirs",
                    ", ".join(ALLOWED_TOKEN_DIRS))  # fmt: skip
    w = contract.workloads[workload]
    residency = catalog.residency(contract.residency)
    identity_key = w.azure.identity.removeprefix("id-") if w.azure else ""
    deployments: list[Deployment] = []
    fallbacks: list[dict[str, list[str]]] = []
    azure_used = False
    for name in w.endpoints:
        e = contract.endpoints.get(name)
        if e is None:
            raise _fail(contract.source, f"workloads.{workload}.endpoints", f"{name!r} is not in endpoints")
        check_resident(contract, catalog, residency, name, e)
        clouds = e.clouds()
        for cloud in clouds:
            if not isinstance(e.aws if cloud == "aws" else e.azure, SelfHostedEndpoint):  # network-only access
                _reach(contract, workload, w, name, cloud, runs_on)
            model_name = deployment_name(name, cloud, e.primary)
            side = e.aws if cloud == "aws" else e.azure
            if isinstance(side, SelfHostedEndpoint):
                deployments.append(_selfhosted(contract, catalog, name, cloud, side, model_name))
            elif cloud == "aws":
                deployments.append(_bedrock(contract, workload, w, name, e, model_name, runs_on))
            else:
                azure_used = True
                deployments.append(_azure(contract, w, identity_key, name, e, model_name, runs_on, token_file))
        if len(clouds) == 2:
            fallbacks.append({name: [deployment_name(name, clouds[1], e.primary)]})
    environment: dict[str, str] = {}
    if runs_on == "azure" and w.azure is not None:
        # Selects the workload's user-assigned identity for every Entra token the proxy requests.
        environment["AZURE_CLIENT_ID"] = contract.client_id(identity_key)
    return LitellmConfig(
        model_list=deployments,
        router_settings=RouterSettings(fallbacks=fallbacks, num_retries=NUM_RETRIES),
        litellm_settings=LitellmSettings(enable_azure_ad_token_refresh=runs_on == "azure" and azure_used),
        environment_variables=environment,
    )


def _selfhosted(
    contract: Contract, catalog: Catalog, name: str, cloud: Cloud, side: SelfHostedEndpoint, model_name: str
) -> Deployment:
    mode: Literal["chat", "embedding"] = "embedding" if catalog.models[side.model].kind == "embedding" else "chat"
    return Deployment(
        model_name=model_name,
        litellm_params=LitellmParams(
            model=f"hosted_vllm/{side.model}", api_base=side.base_url, region_name=contract.residency
        ),
        model_info=ModelInfo(id=f"{name}-{cloud}", base_model=f"hosted_vllm/{side.model}", mode=mode),
    )


def _bedrock(
    contract: Contract, workload: str, w: Workload, name: str, e: Endpoint, model_name: str, runs_on: Cloud
) -> Deployment:
    assert isinstance(e.aws, AwsEndpoint)
    params: dict[str, Any] = {
        "model": f"bedrock/{contract.invoke_target(name, e.aws.region)}",
        "aws_region_name": e.aws.region,
        "region_name": contract.residency,
    }
    if runs_on == "azure":
        assert w.azure_to_aws is not None
        params |= {
            "aws_role_name": w.azure_to_aws.role_arn,
            "aws_session_name": f"crosscloud-{workload}"[:64],
            "aws_web_identity_token": f"oidc/azure/{w.azure_to_aws.audience}",
            "aws_sts_endpoint": f"https://sts.{e.aws.region}.amazonaws.com",
        }
    mode: Literal["chat", "embedding"] = "embedding" if e.aws.kind == "embedding" else "chat"
    return Deployment(
        model_name=model_name,
        litellm_params=LitellmParams(**params),
        model_info=ModelInfo(id=f"{name}-aws", base_model=e.aws.base_model, mode=mode),
    )


def _azure(
    contract: Contract,
    w: Workload,
    identity_key: str,
    name: str,
    e: Endpoint,
    model_name: str,
    runs_on: Cloud,
    token_file: str,
) -> Deployment:
    assert isinstance(e.azure, AzureEndpoint)
    openai = e.azure.format == OPENAI_FORMAT and e.azure.route == "deployment"
    provider = "azure" if openai else "azure_ai"
    params: dict[str, Any] = {
        "model": f"{provider}/{e.azure.name}",
        "api_base": contract.api_base(name, e.azure.api_base),
        "azure_scope": e.azure.token_scope,
        "region_name": contract.residency,
    }
    if runs_on == "aws":
        assert w.aws_to_azure is not None
        params |= {
            "azure_ad_token": f"oidc/file/{token_file}",
            "tenant_id": w.aws_to_azure.tenant_id,
            "client_id": contract.client_id(identity_key),
        }
    mode: Literal["chat", "embedding"] = "embedding" if e.azure.kind == "embedding" else "chat"
    return Deployment(
        model_name=model_name,
        litellm_params=LitellmParams(**params),
        model_info=ModelInfo(id=f"{name}-azure", base_model=f"{provider}/{e.azure.model}", mode=mode),
    )


def to_yaml(config: LitellmConfig, contract: Contract, workload: str, runs_on: Cloud) -> str:
    """The file, with a header that says what it is and, offline, which values are placeholders."""
    header = [
        f"# LiteLLM proxy config (litellm {LITELLM_VERSION}) for workload {workload} of stack {contract.stack}, "
        f"running on {runs_on}.",
        "# Generated by `crosscloud endpoints`; keyless: no key or secret appears in this file.",
    ]
    if runs_on == "aws" and any(d.litellm_params.azure_ad_token for d in config.model_list):
        header.append(
            "# Azure calls read an AWS outbound identity token (GetWebIdentityToken, audience api://AzureADTokenExchange,"
        )
        header.append("# RS256, regional STS) from the azure_ad_token file: refresh it every few minutes.")
    if contract.placeholders:
        header.append(f"# OFFLINE PREVIEW: {PLACEHOLDER_NOTE}: {', '.join(sorted(contract.placeholders))}")
    body = yaml.safe_dump(config.model_dump(exclude_none=True), sort_keys=False, width=1000)
    return "\n".join(header) + "\n" + body


PLACEHOLDER_NOTE = "these values are placeholders (known-after-pulumi-up) until `pulumi up`"
