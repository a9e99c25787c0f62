"""Which source column feeds which field: forgiving matching, and typos refused.

Names match ignoring case, spaces, `_`, `-`, `.` and brackets (`AccountId`, `Account ID`
and `account_id` are one name), then through a short list of synonyms the tools CS teams
use.  A `--map` entry naming a column the file lacks, or a field the kind lacks, is an
error with a did-you-mean: a typo there used to leave a column empty without a word.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from healthscore.errors import ImportRejected
from healthscore.store.schema import Table

__all__ = ["SYNONYMS", "did_you_mean", "match_columns", "norm"]

_SEP = re.compile(r"[\s_\-.()\[\]/]+")


def norm(name: str) -> str:
    """The matching form of a column name: lower case without separators."""
    return _SEP.sub("", name).lower()


# Other names a field goes by (in matching form).  Kept short and unambiguous: a synonym
# that could mean two fields (a bare "id", "name" in an events file) is not listed.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "account_id": (
        "accountid",
        "account",
        "accountref",
        "companyid",
        "organizationid",
        "orgid",
        "groupid",
    ),
    "contact_id": ("contactid", "requesterid", "personid"),
    "user_id": ("userid", "contactid", "memberid"),
    "event_time": ("timestamp", "time", "ts", "occurredat", "eventtimestamp", "createdat"),
    "event_type": ("event", "eventname", "action"),
    "event_id": ("messageid", "eventid"),
    "email": ("emailaddress", "mail", "e-mail"),
    "mrr": ("monthlyrecurringrevenue",),
    "arr": ("annualrecurringrevenue", "annualrevenue"),
    "opened_at": ("createdat", "created", "openedat"),
    "resolved_at": ("solvedat", "resolvedat", "closedat"),
    "owner_csm": ("csm", "owner", "accountowner", "customersuccessmanager"),
    "responded_at": ("respondedat", "createdat", "answeredat"),
    "score": ("rating", "npsscore"),
    "comment": ("comments", "feedback"),
    "occurred_at": ("occurredat", "activitydate", "date", "timestamp"),
    "issued_date": ("issueddate", "date", "invoicedate", "created"),
    "due_date": ("duedate",),
    "amount": ("amount", "total", "amountdue"),
    "seats_purchased": ("seats", "licenses", "licences"),
}


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest of `options`, or '' when none is close."""
    opts = list(options)
    by_norm = {norm(o): o for o in opts}
    close = difflib.get_close_matches(norm(word), list(by_norm), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
        return f' (did you mean "{close[0]}"?)' if close else ""
    return f' (did you mean "{by_norm[close[0]]}"?)'


def _find(name: str, columns: Iterable[str]) -> str | None:
    """The source column `name` refers to: exactly, or equal in matching form."""
    cols = list(columns)
    if name in cols:
        return name
    hits = [c for c in cols if norm(c) == norm(name)]
    return hits[0] if len(hits) == 1 else None


def match_columns(
    table: Table,
    columns: Iterable[str],
    explicit: Mapping[str, str],
    *,
    label: str,
    taken: Iterable[str] = (),
    provided: Iterable[str] = (),
) -> dict[str, str]:
    """{source column: field} for one file: `explicit` entries checked, the rest matched.

    `taken` are source columns already used by a profile; `provided` are fields a profile
    already fills (so no source column is matched to them).
    """
    cols = list(columns)
    fields = table.column_names
    out: dict[str, str] = {}
    for src, dst in explicit.items():
        if dst not in fields:
            raise ImportRejected(
                f'{label}: mapping {src}={dst}: "{dst}" is not a field of {table.name}'
                f"{did_you_mean(dst, fields)}; fields: {', '.join(fields)}"
            )
        found = _find(src, cols)
        if found is None:
            raise ImportRejected(
                f'{label}: mapping {src}={dst}: the file has no column "{src}"'
                f"{did_you_mean(src, cols)}; columns: {', '.join(cols) or 'none'}"
            )
        out[found] = dst
    filled = set(out.values()) | set(provided)
    used = set(out) | set(taken)
    for f in fields:
        if f in filled or f == "event_key":
            continue
        free = [c for c in cols if c not in used]
        exact = [c for c in free if norm(c) == norm(f)]
        hits = exact or [c for c in free if norm(c) in SYNONYMS.get(f, ())]
        if len(hits) == 1:
            out[hits[0]] = f
            used.add(hits[0])
            filled.add(f)
        elif len(hits) > 1:
            raise ImportRejected(
                f"{label}: columns {', '.join(repr(h) for h in hits)} could each be {f!r}; "
                f"say which with --map {hits[0]}={f}"
            )
    return out
