"""Case services: record, edit and find cases and what hangs on them.

Widgets and the command line call these functions; they never build queries themselves.
Every edit runs in one transaction that also writes the outbox entries (docs/sync.md) and the
search index, recomputes the warning level, and appends timeline events. Results are frozen
dataclasses, safe to hand to another thread.

``from fairdesk import cases; cases.create_case(...)`` is the public face; the modules below
hold one subject each:

- :mod:`.inputs` what callers hand in; :mod:`.rows` what they get back;
- :mod:`.editing` create, edit and delete a case; :mod:`.parties`, :mod:`.rights`,
  :mod:`.deadlines`, :mod:`.notes` what hangs on it; :mod:`.timeline` its history;
- :mod:`.listing` filtered, sorted lists in SQL; :mod:`.detail` one case in full;
- :mod:`.levels` re-levelling; :mod:`.records` finding live rows, updates and tombstones.
"""

from __future__ import annotations

from fairdesk.cases.deadlines import add_deadline, set_deadline_done
from fairdesk.cases.detail import get_case
from fairdesk.cases.editing import create_case, delete_case, edit_case
from fairdesk.cases.inputs import (
    EDITABLE_TEXT,
    KEEP,
    CaseEdit,
    CaseInput,
    DeadlineInput,
    PartyInput,
    RightInput,
)
from fairdesk.cases.levels import cases_to_relevel, refresh_levels, relevel_cases
from fairdesk.cases.listing import (
    case_ids,
    count_cases,
    list_cases,
    open_deadlines,
    rows_by_id,
)
from fairdesk.cases.notes import add_note
from fairdesk.cases.parties import add_party, edit_party, remove_party
from fairdesk.cases.rights import add_right, edit_right, remove_right, right_warning
from fairdesk.cases.rows import CaseDetail, NoteRow, PartyRow, RightRow, TimelineRow

# Fairs and the read-only rows live in their own modules (fairdesk.fairs, fairdesk.quickread);
# callers know them as cases.FairInput, cases.CaseFilter, ...
from fairdesk.fairs import (
    FairInput,
    FairRow,
    create_fair,
    edit_fair,
    find_fair,
    get_fair,
    list_fairs,
)
from fairdesk.quickread import SORT_COLUMNS, CaseFilter, CaseRow, DeadlineRow

__all__ = [
    "EDITABLE_TEXT",
    "KEEP",
    "SORT_COLUMNS",
    "CaseDetail",
    "CaseEdit",
    "CaseFilter",
    "CaseInput",
    "CaseRow",
    "DeadlineInput",
    "DeadlineRow",
    "FairInput",
    "FairRow",
    "NoteRow",
    "PartyInput",
    "PartyRow",
    "RightInput",
    "RightRow",
    "TimelineRow",
    "add_deadline",
    "add_note",
    "add_party",
    "add_right",
    "case_ids",
    "cases_to_relevel",
    "count_cases",
    "create_case",
    "create_fair",
    "delete_case",
    "edit_case",
    "edit_fair",
    "edit_party",
    "edit_right",
    "find_fair",
    "get_case",
    "get_fair",
    "list_cases",
    "list_fairs",
    "open_deadlines",
    "refresh_levels",
    "relevel_cases",
    "remove_party",
    "remove_right",
    "right_warning",
    "rows_by_id",
    "set_deadline_done",
]
