"""Notes stay readable at any estate size."""

from __future__ import annotations

from crosscloud.engine.graph import NOTE_NAMES
from crosscloud.engine.synth import auto_named_note


def test_few_auto_named_resources_are_all_named() -> None:
    note = auto_named_note(["urn:pulumi:dev::p::aws:iam/role:Role::b", "urn:pulumi:dev::p::aws:iam/role:Role::a"])
    assert note.startswith("`name` is unknown on a, b: the provider's Check auto-names it")


def test_many_auto_named_resources_are_counted_not_listed() -> None:
    urns = [f"urn:pulumi:dev::p::aws:iam/role:Role::role-{i:04d}" for i in range(2_000)]
    note = auto_named_note(urns)
    assert f"role-{NOTE_NAMES - 1:04d} and {2_000 - NOTE_NAMES} more:" in note
    assert f"role-{NOTE_NAMES:04d}," not in note and len(note) < 400
