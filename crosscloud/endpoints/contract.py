"""The stack output contract applications use, read from `pulumi stack output --json` or from an offline preview.

The contract is several stack outputs: `residency`, `endpoints` (per logical endpoint, what each cloud serves it with),
`workloads` (identities and cross-cloud federation, from known parts), and the values only a provider knows after
`pulumi up`: `aws_invoke_targets` (application inference profile ARNs), `azure_identity_client_ids` and
`azure_identity_principal_ids`, and serverless endpoint URLs (`endpoints.<name>.azure.url`). They are separate
outputs because a value unknown at preview blanks the whole output it sits in, so the known parts stay readable.

Offline (no stack output given), each value a provider computes is a placeholder that says so
(`known-after-pulumi-up`), and `placeholders` names every one; from a real stack output, a missing value is an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from crosscloud.declaration.errors import ConfigIssue, DeclarationError

MAX_STACK_OUTPUT_BYTES = 16 * 1024 * 1024
PLACEHOLDER = "known-after-pulumi-up"
SECRET_SHOWN = "[secret]"  # noqa: S105 - how `pulumi stack output --json` shows a secret without --show-secrets
Cloud = Literal["aws", "azure"]


class _Read(BaseModel):
    # Unknown keys are tolerated (a newer program may add some); the ones read are typed.
    model_config = ConfigDict(extra="ignore", frozen=True)


class AwsEndpoint(_Read):
    catalog_model: str
    invoke_id: str
    offering: str
    region: str
    kind: str
    base_model: str


class AzureEndpoint(_Read):
    catalog_model: str
    model: str
    format: str
    kind: str
    location: str
    processing: str
    route: Literal["deployment", "serverless"]
    sku: str | None = None
    name: str
    api_base: str | None = None
    token_scope: str


class SelfHostedEndpoint(_Read):
    """A self-hosted fleet (vLLM on the stack's GPU reservation): an OpenAI-compatible base URL inside the private
    network; `model` is the catalog key it serves, the same name on both clouds."""

    route: Literal["selfhosted"]
    base_url: str
    model: str
    region: str | None = None  # AWS
    location: str | None = None  # Azure
    gpu: str
    instance_type: str
    replicas: int

    @property
    def where(self) -> str:
        return self.region or self.location or ""


class Endpoint(_Read):
    primary: Cloud
    aws: SelfHostedEndpoint | AwsEndpoint | None = None
    azure: SelfHostedEndpoint | AzureEndpoint | None = None

    def clouds(self) -> list[Cloud]:
        """The clouds that serve it, primary first."""
        served: list[Cloud] = [c for c in ("aws", "azure") if getattr(self, c) is not None]
        return sorted(served, key=lambda c: c != self.primary)


class WorkloadAws(_Read):
    role_arn: str
    region: str


class WorkloadAzure(_Read):
    identity: str
    tenant_id: str | None = None


class AzureToAws(_Read):
    issuer: str
    audience: str
    subject: str
    role_arn: str


class AwsToAzure(_Read):
    audience: str
    subjects: list[str]
    sts_endpoint: str
    tenant_id: str


class Workload(_Read):
    endpoints: list[str]
    aws: WorkloadAws | None = None
    azure: WorkloadAzure | None = None
    azure_to_aws: AzureToAws | None = None
    aws_to_azure: AwsToAzure | None = None


class _Outputs(_Read):
    residency: str
    endpoints: dict[str, Endpoint]
    workloads: dict[str, Workload] = {}
    aws_invoke_targets: dict[str, str] | None = None
    azure_identity_client_ids: dict[str, str] | None = None
    azure_identity_principal_ids: dict[str, str] | None = None


@dataclass
class Contract:
    """The contract with every value a client needs resolved (or, offline, a placeholder named in `placeholders`)."""

    stack: str
    source: str
    residency: str
    endpoints: dict[str, Endpoint]
    workloads: dict[str, Workload]
    invoke_targets: dict[str, str]
    client_ids: dict[str, str]
    principal_ids: dict[str, str]
    offline: bool
    placeholders: list[str] = field(default_factory=list)

    def invoke_target(self, endpoint: str, region: str) -> str:
        return self._value(
            f"aws_invoke_targets.{endpoint}",
            self.invoke_targets.get(endpoint),
            f"arn:aws:bedrock:{region}:{PLACEHOLDER}:application-inference-profile/{endpoint}",
        )

    def client_id(self, identity: str) -> str:
        return self._value(f"azure_identity_client_ids.{identity}", self.client_ids.get(identity), PLACEHOLDER)

    def api_base(self, endpoint: str, value: str | None) -> str:
        return self._value(f"endpoints.{endpoint}.azure.api_base", value, f"https://{PLACEHOLDER}.invalid/{endpoint}")

    def _value(self, path: str, value: str | None, placeholder: str) -> str:
        if value:
            return value
        if not self.offline:
            raise DeclarationError(
                [ConfigIssue(self.source, path, "has no value in the stack output (run `pulumi up` first)")]
            )
        if path not in self.placeholders:
            self.placeholders.append(path)
        return placeholder

    def to_json(self) -> dict[str, Any]:
        """The contract as `crosscloud endpoints --format json` prints it: placeholders filled in and listed."""
        for name, e in self.endpoints.items():
            if isinstance(e.aws, AwsEndpoint):
                self.invoke_target(name, e.aws.region)
            if isinstance(e.azure, AzureEndpoint):
                self.api_base(name, e.azure.api_base)
        for w in self.workloads.values():
            if w.azure is not None:
                self.client_id(w.azure.identity.removeprefix("id-"))
        return {
            "stack": self.stack,
            "residency": self.residency,
            "endpoints": {
                name: {
                    **e.model_dump(mode="json"),
                    "aws": {**e.aws.model_dump(), "profile_arn": self.invoke_target(name, e.aws.region)}
                    if isinstance(e.aws, AwsEndpoint)
                    else e.aws.model_dump()
                    if e.aws
                    else None,
                    "azure": {**e.azure.model_dump(), "api_base": self.api_base(name, e.azure.api_base)}
                    if isinstance(e.azure, AzureEndpoint)
                    else e.azure.model_dump()
                    if e.azure
                    else None,
                }
                for name, e in self.endpoints.items()
            },
            "workloads": {
                name: {
                    **w.model_dump(mode="json"),
                    "azure": {
                        **w.azure.model_dump(),
                        "client_id": self.client_id(w.azure.identity.removeprefix("id-")),
                    }
                    if w.azure
                    else None,
                }
                for name, w in self.workloads.items()
            },
            "offline": self.offline,
            "placeholders": sorted(self.placeholders),
        }


def _secrets(value: object, path: str, source: str) -> None:
    """The contract holds no secret; a shown-as-secret value means someone marked one, and it is not guessed."""
    if value == SECRET_SHOWN:
        raise DeclarationError([ConfigIssue(source, path, "is a secret; the endpoints contract holds none")])
    if isinstance(value, Mapping):
        for k, v in value.items():
            _secrets(v, f"{path}.{k}" if path else str(k), source)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _secrets(v, f"{path}[{i}]", source)


def contract_from_outputs(outputs: Mapping[str, Any], *, stack: str, source: str, offline: bool) -> Contract:
    """Validate the stack outputs as the contract; a problem is one line naming the source and the key path."""
    _secrets(outputs, "", source)
    try:
        parsed = _Outputs.model_validate(dict(outputs))
    except ValidationError as exc:
        issues = [ConfigIssue(source, ".".join(str(p) for p in err["loc"]) or "-", err["msg"]) for err in exc.errors()]
        raise DeclarationError(issues) from None
    return Contract(
        stack=stack,
        source=source,
        residency=parsed.residency,
        endpoints=dict(parsed.endpoints),
        workloads=dict(parsed.workloads),
        invoke_targets=dict(parsed.aws_invoke_targets or {}),
        client_ids=dict(parsed.azure_identity_client_ids or {}),
        principal_ids=dict(parsed.azure_identity_principal_ids or {}),
        offline=offline,
    )


def read_stack_output(text: bytes, source: str) -> dict[str, Any]:
    """`pulumi stack output --json`: one JSON object, at most 16 MiB."""
    if len(text) > MAX_STACK_OUTPUT_BYTES:
        raise DeclarationError([ConfigIssue(source, "-", f"is larger than {MAX_STACK_OUTPUT_BYTES} bytes")])
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeclarationError([ConfigIssue(source, "-", f"is not JSON ({exc})")]) from None
    if not isinstance(data, dict):
        raise DeclarationError([ConfigIssue(source, "-", "is not a JSON object of stack outputs")])
    return data
