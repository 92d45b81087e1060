"""Governance rules: exemptions are well-formed, name a real rule, have not expired, and are listed for review.

Exemption tag: `crosscloud:exempt:<rule-id>` = `<yyyy-mm-dd>:<reason>`, in force through that date (UTC). The rule
adapter (base.py) suppresses a violation of <rule-id> on that resource only while the exemption is in force.
"""

from __future__ import annotations

from collections.abc import Iterator

from crosscloud.policies.rules.base import (
    EXEMPT_TAG_PREFIX,
    Finding,
    ResourceView,
    Rule,
    RuleContext,
    StackView,
    exemptions_of,
)

DEFAULT_MAX_DAYS = 366


def known_rule_ids() -> frozenset[str]:
    from crosscloud.policies.rules import capacity, portability, residency, security

    return frozenset(r.id for m in (residency, portability, security, capacity) for r in m.RULES)


def check_exemptions(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    known = known_rule_ids()
    max_days = int(ctx.config.get("max_days", DEFAULT_MAX_DAYS))
    for exemption in exemptions_of(view, ctx.today):
        key = f"{EXEMPT_TAG_PREFIX}{exemption.rule_id}"
        if exemption.problem is not None:
            yield exemption.problem
        elif exemption.rule_id not in known:
            yield f"exemption {key} names no crosscloud rule; allowed rule IDs: {', '.join(sorted(known))}"
        elif exemption.expires is not None and (exemption.expires - ctx.today).days > max_days:
            yield f"exemption {key} runs to {exemption.expires}, more than {max_days} days; allowed: a nearer expiry"


def list_exemptions(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    known = known_rule_ids()
    for view in stack.resources:
        for exemption in exemptions_of(view, ctx.today):
            if exemption.in_force and exemption.rule_id in known:
                yield (
                    view,
                    f"exemption in force: {exemption.rule_id} until {exemption.expires}: {exemption.reason}",
                )


EXEMPTION_VALID = Rule(
    id="exemption-valid",
    description="Exemption tags are well-formed, name a crosscloud rule, give a reason and have not expired",
    check=check_exemptions,
    remediation="Tag 'crosscloud:exempt:<rule-id>' = '<yyyy-mm-dd>:<reason>' with a date at most a year ahead; "
    "renew or remove an expired exemption (an expired one no longer exempts).",
    severity="high",
    exemptible=False,
    config_properties={"max_days": {"type": "integer", "minimum": 1}},
)
EXEMPTIONS_IN_FORCE = Rule(
    id="exemptions-in-force",
    description="Lists every exemption in force, for review (advisory)",
    check_stack=list_exemptions,
    remediation="Review each exemption: fix the resource and remove the tag, or keep it until its expiry.",
    severity="low",
    enforcement="advisory",
    exemptible=False,
)

RULES = (EXEMPTION_VALID, EXEMPTIONS_IN_FORCE)
