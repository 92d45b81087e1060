"""crosscloud-residency: data stays in the regions of the stack's residency set (crosscloud:residency).

Run with `pulumi preview --policy-pack policies/residency`, or offline with `crosscloud check`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import to_policy
from policies.rules.residency import RULES

PolicyPack(
    name="crosscloud-residency",
    description="Data residency: every AWS and Azure resource stays inside the stack's residency set.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[to_policy(rule) for rule in RULES],
)
