"""IAM documents read as IAM evaluates them: `*` and `?` wildcards, NotAction and NotResource, action names in any
case, explicit denies, and the AWS managed policies a stack attaches (known by ARN from the catalog).

A statement matters for residency when it grants an action that sends content to a model (the catalog's prompt
patterns; a Bedrock action in neither of its lists counts as one, failing closed). Its resources are then expanded
against the catalog: every Region whose name the pattern matches, region-less ARNs (global routing) where the Region
segment may be empty, and every inference-profile prefix the resource part may start with. A pattern that reaches
any Region or profile outside the residency set is a violation, whatever else it also matches.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crosscloud.catalog import Catalog, ResidencySet
from crosscloud.catalog.schema import ANY
from crosscloud.policies.rules.base import ResourceView, Unknown, get, is_unknown, json_value

# IAM documents: (canonical type, input holding a JSON policy document or a list of inline policies).
IAM_DOCUMENTS: dict[str, str] = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/role:Role": "inlinePolicies",
    "aws:iam/user:User": "inlinePolicies",  # aws-native users carry inline policies (normalize.py)
    "aws:iam/group:Group": "inlinePolicies",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "policy",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
    "aws:ssoadmin/permissionSet:PermissionSet": "inlinePolicy",  # aws-native permission sets (normalize.py)
}
# Bedrock resource kinds of an ARN (`arn:aws:bedrock:<region>:<account>:<kind>/<id>`) and how each is judged.
PROFILE_KINDS = ("inference-profile", "guardrail-profile")
REGIONAL_KINDS = (
    "application-inference-profile",
    "provisioned-model",
    "custom-model",
    "custom-model-deployment",
    "imported-model",
    "prompt-router",
    "default-prompt-router",
    "async-invoke",
    "agent",
    "agent-alias",
    "knowledge-base",
    "flow",
    "flow-alias",
    "guardrail",
)


# -- IAM wildcards -----------------------------------------------------------------------------------------------


def _closure(pattern: str, states: set[int]) -> set[int]:
    todo = list(states)
    while todo:
        i = todo.pop()
        if i < len(pattern) and pattern[i] == "*" and i + 1 not in states:
            states.add(i + 1)
            todo.append(i + 1)
    return states


def _consume(pattern: str, text: str, fold: bool) -> set[int]:
    """The pattern positions reachable after matching `text` (IAM: `*` any run, `?` one character)."""
    if fold:
        pattern, text = pattern.lower(), text.lower()
    states = _closure(pattern, {0})
    for ch in text:
        following: set[int] = set()
        for i in states:
            if i < len(pattern):
                if pattern[i] == "*":
                    following.add(i)
                elif pattern[i] == "?" or pattern[i] == ch:
                    following.add(i + 1)
        states = _closure(pattern, following)
        if not states:
            break
    return states


def glob_match(pattern: str, text: str, fold: bool = False) -> bool:
    return len(pattern) in _consume(pattern, text, fold)


def glob_may_start(pattern: str, prefix: str, fold: bool = False) -> bool:
    """Does `pattern` match some string that starts with `prefix`?"""
    return bool(_consume(pattern, prefix, fold))


@functools.cache
def glob_overlap(a: str, b: str) -> bool:
    """Do two IAM patterns (case-insensitive, as actions are) match a common string?"""
    a, b = a.lower(), b.lower()

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return meet(i + 1, j) or (j < len(b) and meet(i, j + 1))
        if j < len(b) and b[j] == "*":
            return meet(i, j + 1) or (i < len(a) and meet(i + 1, j))
        if i < len(a) and j < len(b) and (a[i] == "?" or b[j] == "?" or a[i] == b[j]):
            return meet(i + 1, j + 1)
        return False

    return meet(0, 0)


def glob_covers(wide: str, narrow: str) -> bool:
    """Does every action `narrow` matches also match `wide`? Decided for literals and trailing-`*` patterns; anything
    else is not assumed covered (so a deny is never credited with more than it provably denies)."""
    wide, narrow = wide.lower(), narrow.lower()
    if not any(c in narrow for c in "*?"):
        return glob_match(wide, narrow)
    stem = narrow.split("*", 1)[0].split("?", 1)[0]
    if wide.endswith("*") and not any(c in wide[:-1] for c in "*?"):
        return stem.startswith(wide[:-1])
    return False


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


# -- statements --------------------------------------------------------------------------------------------------


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def statements(doc: Any) -> list[dict[str, Any]]:
    found = doc.get("Statement", []) if isinstance(doc, Mapping) else []
    found = [found] if isinstance(found, Mapping) else found
    return [s for s in found if isinstance(s, Mapping)] if isinstance(found, list) else []  # type: ignore[misc]


def is_allow(statement: Mapping[str, Any]) -> bool:
    return str(statement.get("Effect", "")).lower() == "allow"


def is_deny(statement: Mapping[str, Any]) -> bool:
    return str(statement.get("Effect", "")).lower() == "deny"


@dataclass(frozen=True)
class ActionClasses:
    services: tuple[str, ...]
    prompt: tuple[str, ...]
    prompt_free: tuple[str, ...]


@functools.cache
def action_classes(catalog: Catalog) -> ActionClasses:
    data = catalog.aws_iam.bedrock_actions
    return ActionClasses(tuple(data.services), tuple(data.prompt), tuple(data.prompt_free))


def _explicit_unknown(action: str, classes: ActionClasses) -> bool:
    """An exact action of a Bedrock service in neither list: treated as sending content (fail closed)."""
    service = action.split(":", 1)[0].lower()
    if has_wildcard(action) or service not in classes.services:
        return False
    lowered = action.lower()
    return not any(glob_match(p, lowered, fold=True) for p in (*classes.prompt, *classes.prompt_free))


def granted_prompt_actions(statement: Mapping[str, Any], catalog: Catalog, denied: Sequence[str] = ()) -> list[str]:
    """The prompt patterns (and unknown Bedrock actions) an Allow statement grants, minus what `denied` provably
    covers. Action names compare case-insensitively, as IAM compares them."""
    classes = action_classes(catalog)
    if "NotAction" in statement:
        excluded = as_list(statement.get("NotAction"))
        granted = [p for p in classes.prompt if not any(glob_covers(n, p) for n in excluded)]
    else:
        actions = as_list(statement.get("Action"))
        granted = [p for p in classes.prompt if any(glob_overlap(a, p) for a in actions)]
        granted += [a for a in actions if _explicit_unknown(a, classes)]
    return [p for p in granted if not any(glob_covers(d, p) for d in denied)]


def unconditional_denies(docs: Sequence[Any]) -> list[str]:
    """Action patterns denied on every resource without a condition: what a principal can never do."""
    denied: list[str] = []
    for doc in docs:
        for statement in statements(doc):
            if (
                is_deny(statement)
                and "Condition" not in statement
                and "NotAction" not in statement
                and "NotResource" not in statement
                and "*" in as_list(statement.get("Resource"))
            ):
                denied += as_list(statement.get("Action"))
    return denied


# -- documents of a resource ---------------------------------------------------------------------------------------


def iam_documents(view: ResourceView) -> Iterator[tuple[str, Any]]:
    """(path, parsed document) for each IAM policy document of an IAM resource; unknown raises."""
    key = IAM_DOCUMENTS.get(view.type)
    if key is None:
        return
    value = get(view.props, key)
    if value is None:
        return
    if key == "inlinePolicies":
        for i, inline in enumerate(value if isinstance(value, list) else []):
            doc = json_value(get(inline, "policy"), f"inlinePolicies.{i}.policy")
            if doc is not None:
                yield f"inlinePolicies[{i}].policy", doc
        return
    doc = json_value(value, key)
    if doc is not None:
        yield key, doc


def managed_document(catalog: Catalog, arn: str) -> dict[str, Any] | None:
    """The recorded statements of an AWS managed policy as an IAM document, or None if the catalog lacks it."""
    policy = catalog.aws_managed_policy(arn)
    if policy is None:
        return None
    found = []
    for s in policy.statements:
        statement: dict[str, Any] = {"Effect": s.effect}
        if s.actions is not None:
            statement["Action"] = list(s.actions)
        if s.not_actions is not None:
            statement["NotAction"] = list(s.not_actions)
        if s.resources is not None:
            statement["Resource"] = list(s.resources)
        if s.not_resources is not None:
            statement["NotResource"] = list(s.not_resources)
        if s.conditional:
            statement["Condition"] = {"recorded": {"conditional": "true"}}
        found.append(statement)
    return {"Version": "2012-10-17", "Statement": found}


def is_aws_managed(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


# -- where a resource pattern reaches ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """One way a resource pattern reaches outside the residency set; `global_` for region-less or global. routing."""

    message: str
    global_: bool = False


def pattern_reach(catalog: Catalog, pattern: str, residency: ResidencySet) -> list[Reach]:
    """Where a resource pattern with wildcards (or "*") lets a prompt action run outside `residency`."""
    services = action_classes(catalog).services
    if pattern.strip() == "*":
        return [Reach("* matches every Bedrock resource of every Region, global profiles included", True)]
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        if has_wildcard(pattern) and any(glob_may_start(pattern, f"arn:aws:{s}:") for s in services):
            return [Reach(f"{pattern} matches every Bedrock resource (a wildcard spans the ARN's segments)", True)]
        return []
    _, partition, service, region, account, resource = parts
    matched = [s for s in services if glob_match(service, s)]
    if not matched:
        return []
    table = catalog.regions.aws_regions
    regions = sorted(r for r, d in table.items() if glob_match(region, r) and glob_match(partition, d.partition))
    outside = [r for r in regions if r not in residency.aws]
    inside = [r for r in regions if r in residency.aws]
    regionless = glob_match(region, "")
    found: list[Reach] = []
    if "bedrock" not in matched:  # bedrock-mantle: judged by Region
        if regionless:
            found.append(Reach(f"{pattern} matches region-less {service} resources", True))
        if outside:
            found.append(Reach(f"{pattern} matches {service} resources in {', '.join(outside)}"))
        return found
    if glob_match(account, "") and glob_may_start(resource, "foundation-model/"):
        if regionless:
            found.append(Reach(f"{pattern} matches region-less foundation-model ARNs (global routing)", True))
        if outside:
            found.append(Reach(f"{pattern} matches foundation models in {', '.join(outside)}"))
    if account == "":
        return found
    for kind in PROFILE_KINDS:
        if not glob_may_start(resource, f"{kind}/"):
            continue
        if outside:
            found.append(Reach(f"{pattern} matches {kind}s called from {', '.join(outside)}"))
        if not inside and not regionless:
            continue
        for prefix, info in catalog.bedrock_profiles.prefixes.items():
            if not glob_may_start(resource, f"{kind}/{prefix}."):
                continue
            if info.destinations == ANY:
                found.append(Reach(f"{pattern} matches {prefix}. {kind}s, which route to any Region", True))
                continue
            leaving = sorted(set(info.destinations) - residency.aws)
            if leaving:
                found.append(Reach(f"{pattern} matches {prefix}. {kind}s, which may route to {', '.join(leaving)}"))
    for kind in REGIONAL_KINDS:
        if not glob_may_start(resource, f"{kind}/"):
            continue
        if outside:
            found.append(Reach(f"{pattern} matches {kind}s in {', '.join(outside)}"))
        if has_wildcard(account) and kind == "application-inference-profile":
            found.append(Reach(f"{pattern} matches application inference profiles of any account"))
    return found


def statement_reach(
    catalog: Catalog, statement: Mapping[str, Any], residency: ResidencySet, denied: Sequence[str] = ()
) -> tuple[list[str], list[Reach]]:
    """(prompt actions granted, where its wildcard or negated resources reach outside `residency`) of an Allow
    statement. Literal ARNs are left to the model-reference checks (bedrock.py), which judge them exactly."""
    if not is_allow(statement):
        return [], []
    granted = granted_prompt_actions(statement, catalog, denied)
    if not granted:
        return [], []
    found: list[Reach] = []
    if "NotResource" in statement:
        excluded = ", ".join(as_list(statement.get("NotResource")))
        found.append(
            Reach(f"NotResource [{excluded}] allows every other resource, every Region and global profiles", True)
        )
    for resource in as_list(statement.get("Resource")):
        if is_unknown(resource):
            raise Unknown("Resource")
        if has_wildcard(resource):
            found += pattern_reach(catalog, resource, residency)
    return granted, found


def shown_actions(actions: Sequence[str]) -> str:
    head = ", ".join(actions[:3])
    return head + (f" (+{len(actions) - 3} more)" if len(actions) > 3 else "")
