"""Policy rules as plain functions over a resource view and a context; packs assemble them into policies.

Rules read the same catalog as the components (never the components themselves), so what a component picks and what
a rule allows cannot drift apart.
"""

from crosscloud.policies.rules.base import ResourceView, Rule, RuleContext, ready_to_serve, serve_pack, to_policy

__all__ = ["ResourceView", "Rule", "RuleContext", "ready_to_serve", "serve_pack", "to_policy"]
