"""Privacy declarations: every table says which columns hold a member and what erasure does to them.

`test_privacy_declarations` fails for a table that declares nothing, so a new table cannot slip in
without deciding how a member's data is exported and erased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ErasePolicy = Literal["delete", "nullify"]


@dataclass(frozen=True)
class Privacy:
    """`columns`: member-id column -> what erasing that member does to rows holding it.

    "delete" removes the row (it is the member's data); "nullify" keeps the row but forgets the
    member (someone else's record that mentions them, e.g. the moderator who decided). `export`
    says whether the member's export includes these rows; `authored` names "nullify" columns that
    say the member wrote or owns the row (an idea's author, a poll's creator): erasure keeps the
    row without them, and their export has it in full; `note` says why, for docs/privacy.md.
    """

    columns: dict[str, ErasePolicy] = field(default_factory=dict)
    export: bool = True
    note: str = ""
    authored: tuple[str, ...] = ()

    @staticmethod
    def no_member_data(note: str) -> Privacy:
        """A table that holds nothing about a member."""
        return Privacy(columns={}, export=False, note=note)
