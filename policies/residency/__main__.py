"""crosscloud-residency. Data residency: resources, prompts, logs and replicas stay inside the stack's residency set.

Run with `pulumi preview --policy-pack policies/residency` and
`--policy-pack-config policies/config/<stack>/residency.json`, or offline with `crosscloud check`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ready_to_serve, to_policy
from policies.rules.residency import RULES

ready_to_serve()
PolicyPack(
    name="crosscloud-residency",
    description="Data residency: resources, prompts, logs and replicas stay inside the stack's residency set.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[to_policy(rule) for rule in RULES],
)
