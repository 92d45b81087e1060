"""crosscloud-portability. Portability: owner and exit-plan tags, pinned model versions, model parity across clouds.

Run with `pulumi preview --policy-pack policies/portability` and
`--policy-pack-config policies/config/<stack>/portability.json`, or offline with `crosscloud check`.
"""

from policies.rules import serve_pack
from policies.rules.portability import RULES

serve_pack(
    name="crosscloud-portability",
    description="Portability: owner and exit-plan tags, pinned model versions, model parity across clouds.",
    rules=RULES,
)
