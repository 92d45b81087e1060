"""Bedrock model references wherever they appear in a resource's inputs, and where each one processes prompts.

A reference is an ARN (`arn:aws:bedrock:<region>:<account>:foundation-model/<id>`, `.../inference-profile/<id>`, ...)
or a bare invoke ID (`eu.anthropic.claude-...`, `amazon.titan-embed-text-v2:0`) anywhere in the inputs: inference
profiles' `modelSource.copyFrom`, IAM policy documents (JSON strings), provisioned throughput `modelArn`, guardrail
profiles, environment variables and container definitions. The catalog decides where an `<prefix>.` profile routes
from the caller's Region; an unknown prefix or model fails closed.
"""

from __future__ import annotations

import json
import re
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


def find_refs(catalog: Catalog, value: Any, path: str = "") -> Iterator[ModelRef]:
    """Every model reference in `value`, JSON strings (policy documents, container definitions) included."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "tags" and not path:
                continue
            yield from find_refs(catalog, item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from find_refs(catalog, item, f"{path}[{i}]")
    elif isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "{[":
            try:
                yield from find_refs(catalog, json.loads(stripped), path)
                return
            except json.JSONDecodeError:
                pass
        found = False
        for match in ARN.finditer(value):
            found = True
            yield _ref_from_arn(catalog, match, path)
        if not found:
            bare = _ref_from_bare(catalog, stripped, path)
            if bare is not None:
                yield bare


def ref_problem(catalog: Catalog, ref: ModelRef, source: str | None, residency: ResidencySet) -> str | None:
    """Why `ref`, invoked from `source`, may process prompts outside `residency` (None: it stays inside)."""
    aws = residency.aws
    where = f"{ref.text} at {ref.path}"
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
