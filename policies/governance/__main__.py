"""crosscloud-governance. Governance: exemption tags are valid and every exemption in force is listed.

Run with `pulumi preview --policy-pack policies/governance` and
`--policy-pack-config policies/config/<stack>/governance.json`, or offline with `crosscloud check`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ready_to_serve, to_policy
from policies.rules.governance import RULES

ready_to_serve()
PolicyPack(
    name="crosscloud-governance",
    description="Governance: exemption tags are valid and every exemption in force is listed.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[to_policy(rule) for rule in RULES],
)
