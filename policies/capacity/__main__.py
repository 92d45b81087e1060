"""crosscloud-capacity. Capacity and cost: bounded GPU reservations, approved commitments, spillover for PTU.

Run with `pulumi preview --policy-pack policies/capacity` and
`--policy-pack-config policies/config/<stack>/capacity.json`, or offline with `crosscloud check`.
"""

from crosscloud.policies.rules import serve_pack, serving
from crosscloud.policies.rules.capacity import RULES

serve_pack(
    name="crosscloud-capacity",
    description="Capacity and cost: bounded GPU reservations, approved commitments, spillover for PTU.",
    rules=(*RULES, *serving.CAPACITY_RULES),
)
