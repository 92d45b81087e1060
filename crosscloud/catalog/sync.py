"""`crosscloud catalog sync`: read the clouds' own APIs and turn the answers into overlay entries.

AWS (boto3): Bedrock `ListFoundationModels` per Region (inference types: ON_DEMAND = in-Region, PROVISIONED;
`modelLifecycle`: status, legacy and end-of-life times) and `ListInferenceProfiles(typeEquals=SYSTEM_DEFINED)` per
Region (each system-defined profile's `models[]` are the foundation-model ARNs in its destination Regions: the route
table row for that source Region). Azure (azure-identity + azure-mgmt-cognitiveservices): "Models - List" per
location (format, name, version, SKUs, `lifecycleStatus`, `deprecation.inference` = the retirement date).

Only the Regions read are changed: a value for a Region the run did not read keeps the shipped answer. The entries go
through the same merge as the loader (`overlay.merge`), so the diff shows exactly what a consumer would see. The SDKs
are imported only here, when the command runs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crosscloud.catalog import overlay as overlays
from crosscloud.catalog.loader import Catalog
from crosscloud.catalog.overlay import Entry

SYNC_SOURCE = "SYNC"  # the source key models.yaml defines for values read by this command
_ARN_REGION = re.compile(r"^arn:aws[\w-]*:bedrock:(?P<region>[\w-]+):")
_KINDS = {"EMBEDDING": "embedding", "TEXT": "chat", "IMAGE": "image"}
_AZURE_KINDS = (("embeddings", "embedding"), ("imageGenerations", "image"), ("chatCompletion", "chat"))


class NoCredentials(Exception):  # noqa: N818 - a state the user fixes, reported in one line
    """The cloud's SDK found no credentials (or no subscription) to read with."""


# -- AWS -----------------------------------------------------------------------------------------------------------


@dataclass
class BedrockModel:
    model_id: str
    name: str
    provider: str
    kind: str | None
    on_demand: set[str] = field(default_factory=set)
    provisioned: set[str] = field(default_factory=set)
    status: str = "ACTIVE"
    legacy: dt.date | None = None
    eol: dt.date | None = None


@dataclass
class AwsReading:
    regions: list[str]
    models: dict[str, BedrockModel] = field(default_factory=dict)
    # (prefix, model ID) -> source Region -> destination Regions
    routes: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=lambda: defaultdict(dict))


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _pages(call: Callable[..., Mapping[str, Any]], key: str, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
    token = None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return


def read_aws(client_for: Callable[[str], Any], regions: list[str]) -> AwsReading:
    """What Bedrock says in each of `regions` (`client_for(region)` is a boto3 `bedrock` client)."""
    reading = AwsReading(regions=list(regions))
    for region in regions:
        client = client_for(region)
        for summary in client.list_foundation_models().get("modelSummaries", []):
            model_id = summary["modelId"]
            outputs = summary.get("outputModalities") or []
            model = reading.models.setdefault(
                model_id,
                BedrockModel(
                    model_id,
                    summary.get("modelName", model_id),
                    summary.get("providerName", "?"),
                    next((_KINDS[o] for o in outputs if o in _KINDS), None),
                ),
            )
            types = summary.get("inferenceTypesSupported") or []
            if "ON_DEMAND" in types:
                model.on_demand.add(region)
            if "PROVISIONED" in types:
                model.provisioned.add(region)
            life = summary.get("modelLifecycle") or {}
            model.status = str(life.get("status", model.status))
            model.legacy = _day(life.get("legacyTime")) or model.legacy
            model.eol = _day(life.get("endOfLifeTime")) or model.eol
        for profile in _pages(client.list_inference_profiles, "inferenceProfileSummaries", typeEquals="SYSTEM_DEFINED"):
            prefix, _, model_id = str(profile["inferenceProfileId"]).partition(".")
            destinations = sorted(
                {m["region"] for a in profile.get("models", []) if (m := _ARN_REGION.match(a.get("modelArn", "")))}
            )
            if model_id and destinations:
                reading.routes[(prefix, model_id)][region] = destinations
    return reading


def _bedrock_lifecycle(model: BedrockModel, read_on: dt.date) -> dict[str, Any]:
    status = "legacy" if model.status == "LEGACY" else "active"
    if model.eol is not None and model.eol <= read_on:
        status = "retired"
    row: dict[str, Any] = {"status": status}
    if model.legacy is not None and model.legacy <= read_on:
        row["legacy"] = model.legacy.isoformat()
    if model.eol is not None:
        row["retirement"] = model.eol.isoformat()
    row.update(source=SYNC_SOURCE, date=read_on.isoformat())
    return row


def aws_entries(catalog: Catalog, reading: AwsReading, read_at: str) -> list[Entry]:
    read_on = dt.date.fromisoformat(read_at[:10])
    read = set(reading.regions)
    entries: list[Entry] = []

    def entry(path: tuple[str, ...], value: Any, what: str) -> None:
        entries.append(Entry(path, value, f"bedrock {what} in {', '.join(sorted(read))}", read_at))

    known_prefixes = set(catalog.bedrock_profiles.prefixes)
    for model_id, model in sorted(reading.models.items()):
        routes = {
            prefix: table
            for (prefix, mid), table in reading.routes.items()
            if mid == model_id and prefix in known_prefixes
        }
        key = catalog.bedrock_model_key(model_id)
        if key is None:
            if model.kind is None:
                continue  # a kind the catalog does not model (audio, video): left out
            block = {
                "model_id": model_id,
                "in_region": sorted(model.on_demand),
                "profiles": {p: {"source": SYNC_SOURCE, "routes": t} for p, t in sorted(routes.items())},
                "provisioned_throughput": sorted(model.provisioned),
                "sources": [SYNC_SOURCE],
                "lifecycle": _bedrock_lifecycle(model, read_on),
            }
            new = {"display": model.name, "provider": model.provider, "kind": model.kind, "aws": block}
            entry((_new_key(catalog, model_id),), new, "ListFoundationModels/ListInferenceProfiles")
            continue
        shipped = catalog.models[key].aws
        assert shipped is not None
        kept = [r for r in shipped.in_region if r not in read]
        entry((key, "aws", "in_region"), kept + sorted(model.on_demand), "ListFoundationModels ON_DEMAND")
        for prefix, table in sorted(routes.items()):
            entry((key, "aws", "profiles", prefix), {"source": SYNC_SOURCE, "routes": table}, "ListInferenceProfiles")
        entry((key, "aws", "lifecycle"), _bedrock_lifecycle(model, read_on), "ListFoundationModels modelLifecycle")
    return entries


def _new_key(catalog: Catalog, name: str) -> str:
    base = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-") or "model"
    key, n = base, 2
    while key in catalog.models:
        key, n = f"{base}-{n}", n + 1
    return key


def aws_client_factory() -> Callable[[str], Any]:
    """boto3 `bedrock` clients from the environment's credentials (SSO, OIDC, instance roles); never static keys."""
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        raise NoCredentials("no AWS credentials found (aws sso login, AWS_PROFILE, or a workload role)")
    return lambda region: session.client("bedrock", region_name=region)


# -- Azure ---------------------------------------------------------------------------------------------------------


@dataclass
class AzureModelInfo:
    format: str
    name: str
    version: str
    kind: str | None
    skus: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    status: str = "GenerallyAvailable"
    retirement: dt.date | None = None


@dataclass
class AzureReading:
    locations: list[str]
    models: dict[tuple[str, str], AzureModelInfo] = field(default_factory=dict)


def _azure_date(value: Any) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return _day(value)


def read_azure(client: Any, locations: list[str]) -> AzureReading:
    """What Cognitive Services "Models - List" says per location (`client`: CognitiveServicesManagementClient)."""
    reading = AzureReading(locations=list(locations))
    for location in locations:
        for item in client.models.list(location):
            model = item.model
            if model is None or not model.name or not model.version:
                continue
            capabilities = model.capabilities or {}
            kind = next((k for cap, k in _AZURE_KINDS if str(capabilities.get(cap, "")).lower() == "true"), None)
            info = reading.models.setdefault(
                (model.name, model.version),
                AzureModelInfo(model.format or "?", model.name, model.version, kind),
            )
            for sku in model.skus or []:
                if sku.name:
                    info.skus[sku.name].add(location)
            info.status = str(model.lifecycle_status or info.status)
            deprecation = model.deprecation
            info.retirement = _azure_date(deprecation.inference if deprecation else None) or info.retirement
    return reading


def _azure_lifecycle(info: AzureModelInfo, read_on: dt.date) -> dict[str, Any]:
    status = {"Legacy": "legacy", "Deprecating": "deprecated", "Deprecated": "deprecated"}.get(info.status, "active")
    if info.retirement is not None and info.retirement <= read_on:
        status = "retired"
    row: dict[str, Any] = {"status": status}
    if info.retirement is not None:
        row["retirement"] = info.retirement.isoformat()
    row.update(source=SYNC_SOURCE, date=read_on.isoformat())
    return row


def azure_entries(catalog: Catalog, reading: AzureReading, read_at: str) -> list[Entry]:
    read_on = dt.date.fromisoformat(read_at[:10])
    read = set(reading.locations)
    known_skus = set(catalog.azure_skus.skus)
    by_identity = {(m.azure.name, m.azure.version): k for k, m in catalog.models.items() if m.azure is not None}
    entries: list[Entry] = []

    def entry(path: tuple[str, ...], value: Any) -> None:
        entries.append(Entry(path, value, f"cognitive services Models - List in {', '.join(sorted(read))}", read_at))

    for (name, version), info in sorted(reading.models.items()):
        skus = {s: sorted(r) for s, r in info.skus.items() if s in known_skus}
        key = by_identity.get((name, version))
        if key is None:
            if info.kind is None or not skus:
                continue
            block = {
                "format": info.format,
                "name": name,
                "version": version,
                "skus": skus,
                "sources": [SYNC_SOURCE],
                "lifecycle": [_azure_lifecycle(info, read_on)],
            }
            entry(
                (_new_key(catalog, f"{name}-{version}"),),
                {"display": name, "provider": info.format, "kind": info.kind, "azure": block},
            )
            continue
        shipped = catalog.models[key].azure
        assert shipped is not None
        for sku in sorted(set(skus) | set(shipped.skus)):
            if sku not in known_skus:
                continue
            kept = [r for r in shipped.skus.get(sku, []) if r not in read]
            entry((key, "azure", "skus", sku), kept + skus.get(sku, []))
        entry((key, "azure", "lifecycle"), _azure_lifecycle(info, read_on))
    return entries


def azure_client(subscription_id: str | None) -> Any:
    """A Cognitive Services management client with DefaultAzureCredential (az login, workload identity, managed
    identity); a missing credential or subscription is NoCredentials."""
    if not subscription_id:
        raise NoCredentials("no Azure subscription: set AZURE_SUBSCRIPTION_ID or pass --subscription")
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import CredentialUnavailableError, DefaultAzureCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    credential = DefaultAzureCredential()
    try:
        credential.get_token("https://management.azure.com/.default")
    except (CredentialUnavailableError, ClientAuthenticationError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NoCredentials(f"no Azure credentials found (az login, or workload identity): {first}") from None
    return CognitiveServicesManagementClient(credential, subscription_id)


# -- the diff ------------------------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    entries: list[Entry]
    merged: overlays.MergeResult

    def render(self, header: str) -> str:
        lines = [header]
        lines.append(f"applied over the shipped catalog ({len(self.merged.applied)}):")
        lines += [f"  + {line}" for line in self.merged.applied] or ["  (none)"]
        lines.append(f"conflicts with verified shipped rows, not applied ({len(self.merged.conflicts)}):")
        lines += [f"  ! {line}" for line in self.merged.conflicts] or ["  (none)"]
        lines.append(f"unchanged: {self.merged.unchanged} values")
        return "\n".join(lines) + "\n"


def diff(catalog: Catalog, entries: list[Entry], on: dt.date) -> SyncResult:
    """What the entries would change in the shipped catalog (the loader's own merge)."""
    raw = {k: m.model_dump(mode="json", exclude_defaults=False) for k, m in catalog.models.items()}
    return SyncResult(entries, overlays.merge(raw, entries, on))
