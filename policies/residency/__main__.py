"""crosscloud-residency. Data residency: resources, prompts, logs and replicas stay inside the stack's residency set.

Run with `pulumi preview --policy-pack policies/residency` and
`--policy-pack-config policies/config/<stack>/residency.json`, or offline with `crosscloud check`.
"""

from crosscloud.policies.rules import serve_pack, serving
from crosscloud.policies.rules.residency import RULES

serve_pack(
    name="crosscloud-residency",
    description="Data residency: resources, prompts, logs and replicas stay inside the stack's residency set.",
    rules=(*RULES, *serving.RESIDENCY_RULES),
)
