"""crosscloud-security. Security: keyless, private, no Bedrock wildcards or static keys, guardrails and audit logs.

Run with `pulumi preview --policy-pack policies/security` and
`--policy-pack-config policies/config/<stack>/security.json`, or offline with `crosscloud check`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ready_to_serve, to_policy
from policies.rules.security import RULES

ready_to_serve()
PolicyPack(
    name="crosscloud-security",
    description="Security: keyless, private, no Bedrock wildcards or static keys, guardrails and audit logs.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[to_policy(rule) for rule in RULES],
)
