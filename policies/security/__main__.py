"""crosscloud-security. Security: keyless, private, no Bedrock wildcards or static keys, guardrails and audit logs.

Run with `pulumi preview --policy-pack policies/security` and
`--policy-pack-config policies/config/<stack>/security.json`, or offline with `crosscloud check`.
"""

from crosscloud.policies.rules import serve_pack
from crosscloud.policies.rules.security import RULES

serve_pack(
    name="crosscloud-security",
    description="Security: keyless, private, no Bedrock wildcards or static keys, guardrails and audit logs.",
    rules=RULES,
)
