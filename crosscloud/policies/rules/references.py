"""What a stack grants and calls by reference: managed policies attached to its principals, and application
inference profiles named by ARN. A reference to something this stack does not manage is unknown, and unknown fails
closed, unless the policy config approves it (`approved_external`).

Managed policies are read as IAM evaluates a principal: an AWS managed policy's recorded statements (catalog
aws_iam.yaml) are judged like the stack's own documents, less the actions the same principal is denied
unconditionally by a document of this stack (an explicit deny always wins). A customer managed policy of this stack
is judged where it is defined; one outside the stack is unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crosscloud.policies.rules.base import (
    Finding,
    ResourceView,
    RuleContext,
    StackView,
    Unknown,
    allowed,
    each_resource,
    get,
    is_unknown,
    json_value,
    no_residency,
)
from crosscloud.policies.rules.bedrock import find_refs, ref_problem
from crosscloud.policies.rules.iam import (
    granted_prompt_actions,
    iam_documents,
    is_allow,
    is_aws_managed,
    managed_document,
    shown_actions,
    statement_reach,
    statements,
    unconditional_denies,
)
from crosscloud.policies.rules.where import Index, find_approved

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
USER = "aws:iam/user:User"
GROUP = "aws:iam/group:Group"
PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
INFERENCE_PROFILE = "aws:bedrock/inferenceProfile:InferenceProfile"
# Attachments: type -> (input holding the policy ARN(s), (principal input, principal type) pairs).
ATTACHMENTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", (("role", ROLE),)),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn", (("user", USER),)),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn", (("group", GROUP),)),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn", (("roles", ROLE), ("users", USER), ("groups", GROUP))),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", (("roleName", ROLE),)),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns", (("userName", USER),)),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": (
        "policyArns",
        (("groupName", GROUP),),
    ),
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": (
        "managedPolicyArn",
        (("permissionSetArn", PERMISSION_SET),),
    ),
    ROLE: ("managedPolicyArns", ()),
    USER: ("managedPolicyArns", ()),
    GROUP: ("managedPolicyArns", ()),
    PERMISSION_SET: ("managedPolicyArns", ()),
}
# Inline documents that bind to a principal named in an input: type -> (input, principal type).
INLINE_BINDINGS = {
    "aws:iam/rolePolicy:RolePolicy": ("role", ROLE),
    "aws:iam/userPolicy:UserPolicy": ("user", USER),
    "aws:iam/groupPolicy:GroupPolicy": ("group", GROUP),
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": ("permissionSetArn", PERMISSION_SET),
}
CUSTOMER_POLICY_ATTACHMENT = "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment"


class Principals:
    """The stack's IAM principals and the documents bound to each (to credit explicit denies)."""

    def __init__(self, stack: StackView, index: Index) -> None:
        self.index = index
        self.documents: dict[str, list[Any]] = {}
        for view in stack.resources:
            if view.type in (ROLE, USER, GROUP, PERMISSION_SET):
                self._add(view.urn, view)
            binding = INLINE_BINDINGS.get(view.type)
            if binding is not None:
                key, type_ = binding
                for principal in self.resolve(view, key, type_):
                    self._add(principal, view)
        for view in stack.resources:
            spec = ATTACHMENTS.get(view.type)
            if spec is None:
                continue
            arn_key, bindings = spec
            principals = [view.urn] if not bindings else []
            for key, type_ in bindings:
                principals += self.resolve(view, key, type_)
            for policy in self._stack_policies(view, arn_key):
                for principal in principals:
                    self._add(principal, policy)

    def _add(self, principal: str, view: ResourceView) -> None:
        try:
            docs = [doc for _path, doc in iam_documents(view)]
        except Unknown:
            docs = []  # an unknown document is credited with nothing
        self.documents.setdefault(principal, []).extend(docs)

    def _stack_policies(self, view: ResourceView, key: str) -> list[ResourceView]:
        found = self.index.dependency(view, key, (POLICY,))
        return [found] if found is not None else []

    def resolve(self, view: ResourceView, key: str, type_: str) -> list[str]:
        """The principals input `key` names: stack URNs where resolvable, else 'name:<value>'."""
        target = self.index.dependency(view, key, (type_,))
        if target is not None:
            return [target.urn]
        value = view.props.get(key)
        names = value if isinstance(value, list) else [value]
        found = []
        for name in names:
            if not isinstance(name, str) or is_unknown(name):
                continue
            short = name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
            matches = self.index.named(type_, "name", short)
            found += [m.urn for m in matches] if matches else [f"name:{short}"]
        return found

    def denied(self, principals: list[str]) -> list[str]:
        """Action patterns denied to every one of `principals` (a deny credited only where it binds all of them)."""
        if not principals:
            return []
        sets = [set(unconditional_denies(self.documents.get(p, []))) for p in principals]
        return sorted(set.intersection(*sets))


def _arns(view: ResourceView, key: str) -> list[Any]:
    """The policy ARN(s) of an attachment; an unknown one stays the sentinel, resolved by property dependency."""
    value = view.props.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _depends_on(index: Index, view: ResourceView, key: str, type_: str) -> bool:
    return any(
        (target := index.by_urn.get(u)) is not None and target.type == type_
        for u in view.property_dependencies.get(key, ())
    )


def check_attached_policies(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    attachments = [v for v in stack.resources if v.type in ATTACHMENTS or v.type == CUSTOMER_POLICY_ATTACHMENT]
    if not attachments:
        return
    index = Index(stack)
    principals = Principals(stack, index)

    def one(view: ResourceView) -> Iterator[str]:
        if view.type == CUSTOMER_POLICY_ATTACHMENT:
            ref = get(view.props, "customerManagedPolicyReference.name")
            if ref is not None and find_approved(ctx, str(ref)) is None:
                yield (
                    f"attaches customer managed policy {ref}, which lives in each target account, not in this "
                    "stack, so what it grants is unknown (fails closed); allowed: a policy of this stack, or "
                    "approved_external"
                )
            return
        arn_key, bindings = ATTACHMENTS[view.type]
        bound = [view.urn] if not bindings else [p for k, t in bindings for p in principals.resolve(view, k, t)]
        denied = principals.denied(bound)
        stack_policy = _depends_on(index, view, arn_key, POLICY)
        for arn in _arns(view, arn_key):
            if is_unknown(arn):
                if stack_policy:
                    continue  # a customer policy of this stack, judged where it is defined
                raise Unknown(arn_key)
            arn = str(arn)
            if is_aws_managed(arn):
                doc = managed_document(ctx.catalog, arn)
                if doc is None:
                    yield (
                        f"attaches AWS managed policy {arn}, which the catalog does not record (aws_iam.yaml), so "
                        "what it grants is unknown (fails closed); allowed: a recorded AWS managed policy or a "
                        "policy of this stack"
                    )
                else:
                    yield from _managed_problems(ctx, arn, doc, denied)
                continue
            if stack_policy or index.with_output((POLICY,), "arn", arn) is not None:
                continue
            if find_approved(ctx, arn) is None:
                yield (
                    f"attaches {arn}, a policy this stack does not manage, so what it grants is unknown (fails "
                    "closed); allowed: a policy of this stack, a recorded AWS managed policy, or approved_external"
                )

    yield from each_resource("iam-attached-policy-in-residency", attachments, ctx, one)


def _managed_problems(ctx: RuleContext, arn: str, doc: Any, denied: list[str]) -> Iterator[str]:
    name = arn.split(":policy/", 1)[1]
    residency = ctx.residency
    for statement in statements(doc):
        granted = granted_prompt_actions(statement, ctx.catalog, denied) if is_allow(statement) else []
        if not granted:
            continue
        if residency is None:
            yield f"attached AWS managed policy {name} grants {shown_actions(granted)}; {no_residency(ctx)}"
            continue
        _granted, reaches = statement_reach(ctx.catalog, statement, residency, denied)
        messages = [r.message for r in reaches]
        for resource in statement.get("Resource", []):
            if "*" not in resource and "?" not in resource:
                for ref in find_refs(ctx.catalog, resource):
                    problem = ref_problem(ctx.catalog, ref, None, residency)
                    if problem:
                        messages.append(problem)
        for message in messages:
            yield (
                f"attached AWS managed policy {name} grants {shown_actions(granted)}: {message}, outside residency "
                f"{residency.name!r}; allowed: a policy granting exact ARNs in {allowed(residency.aws)}, or an "
                "explicit deny of those actions on the principal"
            )


# -- application inference profiles named by ARN -----------------------------------------------------------------


def check_application_profiles(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    """An application inference profile ARN in any AWS resource's inputs is one of this stack's profiles (by its
    ARN output, known at an update preview) or approved; otherwise where it routes is unknown."""
    profiles = {
        str(v.props.get("arn")): v
        for v in stack.of_type(INFERENCE_PROFILE)
        if isinstance(v.props.get("arn"), str) and not is_unknown(v.props.get("arn"))
    }

    def one(view: ResourceView) -> Iterator[str]:
        seen: set[str] = set()
        props = dict(view.props)
        for key, value in list(props.items()):
            if key in ("policy", "inlinePolicies", "inlinePolicy"):
                props[key] = _allowed_statements(value)
        for ref in find_refs(ctx.catalog, props):
            if ref.kind != "application-inference-profile" or "*" in ref.model_id or "?" in ref.text:
                continue
            if ref.text in profiles or ref.text in seen or find_approved(ctx, ref.text) is not None:
                continue
            seen.add(ref.text)
            yield (
                f"{ref.text} at {ref.path} is an application inference profile this stack does not manage, so where "
                "it routes is unknown (fails closed); allowed: a profile of this stack, or policy config "
                "approved_external with its Regions"
            )

    aws = [v for v in stack.resources if v.cloud == "aws" and not v.type.startswith("pulumi:")]
    yield from each_resource("bedrock-application-profile-in-stack", aws, ctx, one)


def _allowed_statements(value: Any) -> Any:
    """Only Allow statements of a document name what a principal may call (a deny names what it may not)."""
    if isinstance(value, list):
        return [
            {**item, "policy": _allowed_statements(item.get("policy"))} if isinstance(item, dict) else item
            for item in value
        ]
    doc = json_value(value, "policy") if not is_unknown(value) else None
    if not isinstance(doc, dict):
        return value
    return {**doc, "Statement": [s for s in statements(doc) if is_allow(s)]}
