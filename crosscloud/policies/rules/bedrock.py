"""Bedrock model references wherever they appear in a resource's inputs, and where each one processes prompts.

A reference is an ARN (`arn:aws:bedrock:<region>:<account>:foundation-model/<id>`, `.../inference-profile/<id>`, ...)
or a bare invoke ID (`eu.anthropic.claude-...`, `amazon.titan-embed-text-v2:0`) anywhere in the inputs: inference
profiles' `modelSource.copyFrom`, IAM policy documents (JSON strings), provisioned throughput `modelArn`, guardrail
profiles, environment variables and container definitions. The catalog decides where an `<prefix>.` profile routes
from the caller's Region; an unknown prefix or model fails closed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from crosscloud.catalog import Catalog, ResidencySet
from crosscloud.catalog.schema import ANY

ARN = re.compile(
    r"arn:(?P<partition>aws[\w-]*):bedrock:(?P<region>[\w*-]*):(?P<account>[\d*]*):"
    r"(?P<kind>foundation-model|inference-profile|application-inference-profile|provisioned-model|"
    r"guardrail-profile|custom-model|prompt-router|default-prompt-router)/(?P<id>[A-Za-z0-9._:*/-]+)"
)
# Model provider namespaces on Bedrock (the first segment of a model ID); the catalog's model IDs add theirs.
PROVIDERS = frozenset(
    {
        "ai21",
        "amazon",
        "anthropic",
        "cohere",
        "deepseek",
        "google",
        "luma",
        "meta",
        "minimax",
        "mistral",
        "moonshot",
        "moonshotai",
        "nvidia",
        "openai",
        "qwen",
        "stability",
        "twelvelabs",
        "writer",
        "zai",
    }
)
# A model ID always has a '-' after the provider ("amazon.nova-pro-v1:0"); a host name ("openai.azure.com") does not.
# Judged elsewhere: application profiles and provisioned models through the resource that defines them (copyFrom,
# modelArn), guardrail profiles by guardrail-profile-in-residency.
OPAQUE_KINDS = frozenset({"application-inference-profile", "provisioned-model", "custom-model", "guardrail-profile"})
_BARE = re.compile(
    r"^(?:(?P<prefix>[a-z][a-z-]{0,9})\.)?(?P<model>(?P<provider>[a-z0-9]+)\.[A-Za-z0-9._:]*-[A-Za-z0-9._:-]*)$"
)


@dataclass(frozen=True)
class ModelRef:
    """One reference: where it was found, the ARN region if any, the profile prefix (None: in-region), the model."""

    path: str
    text: str
    kind: str  # foundation-model | inference-profile | guardrail-profile | application-inference-profile | ...
    region: str | None  # from the ARN; "" for a region-less ARN (global); None for a bare ID
    prefix: str | None
    model_id: str
    unknown_prefix: bool = False


def providers(catalog: Catalog) -> frozenset[str]:
    return PROVIDERS | {m.aws.model_id.split(".")[0] for m in catalog.models.values() if m.aws is not None}


def split_invoke_id(catalog: Catalog, invoke_id: str) -> tuple[str | None, str, bool]:
    """(prefix or None, model ID, prefix unknown?): the catalog splits known prefixes; a first segment that is
    neither a prefix nor a model provider, in front of a model ID, is an unknown prefix (fails closed)."""
    prefix, model = catalog.split_invoke_id(invoke_id)
    if prefix is not None:
        return prefix, model, False
    head, _, rest = invoke_id.partition(".")
    if head in providers(catalog) or rest.partition(".")[0] not in providers(catalog):
        return None, invoke_id, False
    return head, rest, True


def model_key(catalog: Catalog, model_id: str) -> str | None:
    """The catalog key of a Bedrock model ID (without prefix)."""
    return catalog.bedrock_model_key(model_id)


def destinations(catalog: Catalog, model_id: str, prefix: str, source: str | None) -> frozenset[str] | None:
    """Where a `<prefix>.` profile of `model_id` may process a request from `source`; None: anywhere or unknown.

    The model card's row for the source Region where the catalog records one, else the prefix's union (fail closed
    wide); an unknown calling Region also falls back to the union."""
    info = catalog.bedrock_profiles.prefixes.get(prefix)
    if info is None:
        return None
    key = catalog.bedrock_model_key(model_id)
    if key is not None and source is not None:
        return catalog.profile_destinations(key, prefix, source)
    return None if info.destinations == ANY else frozenset(info.destinations)


def _ref_from_arn(catalog: Catalog, match: re.Match[str], path: str) -> ModelRef:
    kind, ident = match["kind"], match["id"]
    if kind in ("inference-profile", "guardrail-profile"):
        prefix, model, unknown = split_invoke_id(catalog, ident)
        return ModelRef(path, match[0], kind, match["region"], prefix, model, unknown)
    return ModelRef(path, match[0], kind, match["region"], None, ident)


def _ref_from_bare(catalog: Catalog, text: str, path: str) -> ModelRef | None:
    match = _BARE.match(text)
    if match is None or match["provider"] not in providers(catalog):
        return None
    prefix, model, unknown = split_invoke_id(catalog, text)
    kind = "inference-profile" if prefix is not None else "foundation-model"
    return ModelRef(path, text, kind, None, prefix, model, unknown)


# Separators around a model ID inside a longer string: lists, key=value, URL paths and query strings, quotes.
_TOKEN_SPLIT = re.compile(r"[\s,;|\"'`()<>\[\]{}=&?#/\\]+")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
_MAX_DECODED = 1 << 20  # bytes of decoded user data scanned per string (a bomb stops here)
_REGION = r"(?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d|eusc-[a-z]+-[a-z]+-\d)"
# Environment variables (and CLI flags) an SDK reads the calling Region from, and Bedrock endpoint host names.
REGION_VARIABLES = frozenset(
    {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_BEDROCK_REGION", "BEDROCK_REGION", "AWS_BEDROCK_RUNTIME_REGION"}
)
_REGION_SETTING = re.compile(
    r"\b(?P<var>" + "|".join(sorted(REGION_VARIABLES)) + r")\b\s*[=:]\s*['\"]?(?P<region>" + _REGION + r")\b"
    r"|--region[= ]+['\"]?(?P<flag>" + _REGION + r")\b"
)
_ENDPOINT = re.compile(
    r"\bbedrock(?:-runtime|-agent-runtime|-agent|-mantle)?(?:-fips)?\.(?P<region>"
    + _REGION
    + r")\.(?:amazonaws\.com|api\.aws)"
)


@dataclass(frozen=True)
class RegionOverride:
    """A Region a workload may call Bedrock from, set beside the model IDs: an SDK variable or an endpoint URL."""

    path: str
    region: str
    how: str


@dataclass
class Scan:
    """Every model reference and calling-Region override in a value, strings decoded (JSON, URL, base64, gzip)."""

    refs: list[ModelRef]
    overrides: list[RegionOverride]


def scan(catalog: Catalog, value: Any, path: str = "") -> Scan:
    found = Scan([], [])
    _scan(catalog, value, path, found, 0)
    return found


def find_refs(catalog: Catalog, value: Any, path: str = "") -> Iterator[ModelRef]:
    """Every model reference in `value`: JSON strings (policy documents, container definitions), comma lists, URLs
    (percent-encoded too), key=value text and base64 (or gzip+base64) user data included."""
    yield from scan(catalog, value, path).refs


def _scan(catalog: Catalog, value: Any, path: str, found: Scan, depth: int) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "tags" and not path:
                continue
            where = f"{path}.{key}" if path else str(key)
            if str(key).upper() in REGION_VARIABLES and isinstance(item, str):
                _setting(item, where, str(key), found)
            _scan(catalog, item, where, found, depth)
        name = value.get("name")
        if isinstance(name, str) and name.upper() in REGION_VARIABLES and isinstance(value.get("value"), str):
            _setting(value["value"], f"{path}.value", name, found)  # [{name, value}] (ECS, containers)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _scan(catalog, item, f"{path}[{i}]", found, depth)
    elif isinstance(value, str):
        _scan_text(catalog, value, path, found, depth)


def _setting(value: str, path: str, variable: str, found: Scan) -> None:
    region = value.strip()
    if re.fullmatch(_REGION, region):
        found.overrides.append(RegionOverride(path, region, variable))


def _scan_text(catalog: Catalog, text: str, path: str, found: Scan, depth: int) -> None:
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            _scan(catalog, json.loads(stripped), path, found, depth)
            return
        except json.JSONDecodeError:
            pass
    decoded = urllib.parse.unquote(text) if "%" in text else text
    for match in ARN.finditer(decoded):
        found.refs.append(_ref_from_arn(catalog, match, path))
    rest = ARN.sub(" ", decoded)
    for token in _TOKEN_SPLIT.split(rest):
        bare = _ref_from_bare(catalog, token.strip(".:"), path) if "." in token else None
        if bare is not None:
            found.refs.append(bare)
    for match in _REGION_SETTING.finditer(decoded):
        region = match["region"] or match["flag"]
        found.overrides.append(RegionOverride(path, region, match["var"] or "--region"))
    for match in _ENDPOINT.finditer(decoded):
        found.overrides.append(RegionOverride(path, match["region"], "a Bedrock endpoint URL"))
    if depth < 2 and len(text) >= 24:
        for blob in _BASE64.findall(text):
            inner = _decoded_text(blob)
            if inner is not None:
                _scan_text(catalog, inner, f"{path} (base64)", found, depth + 1)


def _decoded_text(blob: str) -> str | None:
    """Text a base64 string encodes (gzip inflated, as cloud-init accepts), or None if it is not text."""
    try:
        raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = zlib.decompressobj(wbits=31).decompress(raw, _MAX_DECODED)
        except zlib.error:
            return None
    try:
        text = raw[:_MAX_DECODED].decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return text if text and printable >= 0.95 * len(text) else None


def ref_problem(
    catalog: Catalog, ref: ModelRef, source: str | None, residency: ResidencySet, via: RegionOverride | None = None
) -> str | None:
    """Why `ref`, invoked from `source` (`via` an override beside it, if so), may process prompts outside
    `residency` (None: it stays inside)."""
    aws = residency.aws
    where = f"{ref.text} at {ref.path}"
    if via is not None and ref.region is None:
        where += f" (called from {via.region}: {via.how} at {via.path})"
    if ref.kind in OPAQUE_KINDS or "*" in ref.model_id:
        return None  # resolved through the resource that defines it, its own rule, or the wildcard rule
    if ref.region == "":
        return f"{where} is region-less (global routing); allowed: ARNs in {allowed_regions(aws)}"
    if ref.region == "*":
        return f"{where} names every Region; allowed: ARNs in {allowed_regions(aws)}"
    origin = ref.region or source
    if ref.unknown_prefix:
        known = ", ".join(sorted(catalog.bedrock_profiles.prefixes))
        return f"{where} has unknown profile prefix {ref.prefix!r} (fails closed); known prefixes: {known}"
    if ref.prefix is None:
        if origin is None:
            return f"{where}: the calling Region is not known; set the region on the resource or its provider"
        if origin not in aws:
            return f"{where} runs in {origin}, outside residency {residency.name!r}; allowed: {allowed_regions(aws)}"
        return None
    dest = destinations(catalog, ref.model_id, ref.prefix, origin)
    if dest is None:
        if ref.prefix == "global":
            return (
                f"{where}: global. profile routes to any commercial Region; allowed: Regions in {allowed_regions(aws)}"
            )
        return (
            f"{where}: {ref.prefix}. profile has no recorded route from {origin or 'an unknown Region'}, so where it "
            f"processes prompts is unknown (fails closed); allowed: Regions in {allowed_regions(aws)}"
        )
    outside = dest - aws
    if outside:
        source_text = f" from {origin}" if origin else ""
        return (
            f"{where}: {ref.prefix}. profile{source_text} may route to {', '.join(sorted(outside))}, outside "
            f"residency {residency.name!r}; allowed: an in-region model ID or a profile routing only within "
            f"{allowed_regions(aws)}"
        )
    if origin is not None and origin not in aws:
        return f"{where} is called from {origin}, outside residency {residency.name!r}"
    return None


def allowed_regions(regions: frozenset[str]) -> str:
    return ", ".join(sorted(regions)) or "none"
