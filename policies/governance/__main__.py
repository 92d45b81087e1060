"""crosscloud-governance. Governance: exemption tags are valid and every exemption in force is listed.

Run with `pulumi preview --policy-pack policies/governance` and
`--policy-pack-config policies/config/<stack>/governance.json`, or offline with `crosscloud check`.
"""

from crosscloud.policies.rules import serve_pack
from crosscloud.policies.rules.governance import RULES

serve_pack(
    name="crosscloud-governance",
    description="Governance: exemption tags are valid and every exemption in force is listed.",
    rules=RULES,
)
