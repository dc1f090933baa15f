"""Every table declares how a member's data is exported and erased."""

from __future__ import annotations

from storage.privacy_declaration import Privacy
from storage.tables import Base


def test_every_table_declares_privacy() -> None:
    undeclared = [
        mapper.class_.__name__
        for mapper in Base.registry.mappers
        if not isinstance(mapper.class_.__dict__.get("__privacy__"), Privacy)
    ]
    assert undeclared == [], f"tables without a __privacy__ declaration: {undeclared}"


def test_every_member_reference_is_covered() -> None:
    """A column that points at member.id must be named in its table's declaration, and vice versa."""
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        privacy: Privacy = mapper.class_.__privacy__
        referring = {
            col.name for col in table.columns for fk in col.foreign_keys if fk.target_fullname == "member.id"
        }
        if table.name == "member":
            referring.add("id")
        assert referring <= set(privacy.columns), f"{table.name}: undeclared member columns"
        assert set(privacy.columns) <= set(table.columns.keys()), f"{table.name}: declares unknown columns"
        nullified = {c for c, policy in privacy.columns.items() if policy == "nullify"}
        assert set(privacy.authored) <= nullified, f"{table.name}: authored columns must be nullify columns"
