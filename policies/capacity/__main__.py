"""crosscloud-capacity. Capacity and cost: bounded GPU reservations, approved commitments, spillover for PTU.

Run with `pulumi preview --policy-pack policies/capacity` and
`--policy-pack-config policies/config/<stack>/capacity.json`, or offline with `crosscloud check`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ready_to_serve, to_policy
from policies.rules.capacity import RULES

ready_to_serve()
PolicyPack(
    name="crosscloud-capacity",
    description="Capacity and cost: bounded GPU reservations, approved commitments, spillover for PTU.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[to_policy(rule) for rule in RULES],
)
