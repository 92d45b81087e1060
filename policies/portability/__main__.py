"""crosscloud-portability. Portability: owner and exit-plan tags, pinned model versions, model parity across clouds,
and model lifecycle (no retired model; a retirement inside the window flagged with its replacement).

Run with `pulumi preview --policy-pack policies/portability` and
`--policy-pack-config policies/config/<stack>/portability.json`, or offline with `crosscloud check`.
"""

from crosscloud.policies.rules import serve_pack
from crosscloud.policies.rules.lifecycle import RULES as LIFECYCLE_RULES
from crosscloud.policies.rules.portability import RULES

serve_pack(
    name="crosscloud-portability",
    description="Portability: owner and exit-plan tags, pinned model versions, model parity across clouds, model "
    "lifecycle.",
    rules=(*RULES, *LIFECYCLE_RULES),
)
