"""crosscloud-portability. Portability: owner and exit-plan tags, pinned model versions, model parity across clouds.

Run with `pulumi preview --policy-pack policies/portability` and
`--policy-pack-config policies/config/<stack>/portability.json`, or offline with `crosscloud check`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ready_to_serve, to_policy
from policies.rules.portability import RULES

ready_to_serve()
PolicyPack(
    name="crosscloud-portability",
    description="Portability: owner and exit-plan tags, pinned model versions, model parity across clouds.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[to_policy(rule) for rule in RULES],
)
