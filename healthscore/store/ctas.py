"""Writes of calls-to-action: rows, their history, checklists, rule state and asks.

Plain DuckDB SQL on the caller's connection, always inside the caller's transaction, so a
CTA, its history row and its outbox row commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pandas as pd

__all__ = [
    "CTA_COLUMNS",
    "account_segments_of",
    "add_ask",
    "add_asks",
    "add_event",
    "add_events",
    "add_fire",
    "add_fires",
    "add_opened_events",
    "add_steps",
    "add_steps_many",
    "avert_churn",
    "close_ctas",
    "contacts_in",
    "delete_mode",
    "fires_since",
    "insert_cta",
    "insert_ctas",
    "latest_capacity",
    "locked_cta",
    "next_cta_id",
    "open_cta_rows",
    "recent_asks",
    "record_run",
    "refresh_ctas",
    "rule_states",
    "set_deferred",
    "set_rule_states",
    "set_rule_states_many",
    "tick_step_row",
    "update_cta_row",
    "update_cta_states",
]

CTA_COLUMNS = (
    "id",
    "account_id",
    "rule",
    "type",
    "reason",
    "evidence",
    "owner",
    "due",
    "priority",
    "arr_at_stake",
    "churn_probability",
    "urgency",
    "status",
    "snoozed_until",
    "snooze_reason",
    "outcome",
    "note",
    "opened_on",
    "last_fired_on",
    "closed_on",
    "fire_count",
    "held_back",
    "deferred",
    "critical",
    "effort_hours",
    "outcome_kind",
    "outcome_days",
    "band_at_open",
    "score_at_open",
    "usage_at_open",
    "mode",
    "version",
    "created_at",
    "updated_at",
    "churn_source",
)


def next_cta_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(id), 0) + 1 FROM ctas").fetchone()
    return int(row[0]) if row else 1


def insert_cta(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    """Insert one CTA row (every column of CTA_COLUMNS; evidence as a list)."""
    values = [json.dumps(row["evidence"]) if c == "evidence" else row.get(c) for c in CTA_COLUMNS]
    marks = ", ".join("?" for _ in CTA_COLUMNS)
    con.execute(f"INSERT INTO ctas ({', '.join(CTA_COLUMNS)}) VALUES ({marks})", values)


def _columns(data: dict[str, list[Any]]) -> Any:
    """Columns of Python values as an Arrow table (DuckDB scans it far faster than a pandas
    frame of object columns), or a pandas frame when Arrow cannot type a column."""
    import pyarrow as pa

    try:
        return pa.table(data)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pd.DataFrame(data)


def insert_ctas(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many CTA rows at once (a replay or a first run over a large portfolio)."""
    if not rows:
        return
    frame = _columns(
        {
            c: [json.dumps(r["evidence"]) for r in rows]
            if c == "evidence"
            else [r.get(c) for r in rows]
            for c in CTA_COLUMNS
        }
    )
    con.register("_hs_new_ctas", frame)
    try:
        cols = ", ".join(CTA_COLUMNS)
        con.execute(f"INSERT INTO ctas ({cols}) SELECT {cols} FROM _hs_new_ctas")
    finally:
        con.unregister("_hs_new_ctas")


def locked_cta(con: duckdb.DuckDBPyConnection, cta_id: int) -> dict[str, Any] | None:
    """One CTA row as a dict (evidence decoded), read inside the writing transaction."""
    cur = con.execute(f"SELECT {', '.join(CTA_COLUMNS)} FROM ctas WHERE id = ?", [int(cta_id)])
    got = cur.fetchone()
    if got is None:
        return None
    row = dict(zip(CTA_COLUMNS, got, strict=True))
    row["evidence"] = json.loads(row["evidence"] or "[]")
    return row


def open_cta_rows(con: duckdb.DuckDBPyConnection, mode: str) -> list[dict[str, Any]]:
    """Every CTA of `mode` that is not closed (held-back ones included)."""
    cur = con.execute(
        f"SELECT {', '.join(CTA_COLUMNS)} FROM ctas WHERE mode = ? AND status <> 'closed'", [mode]
    )
    out = []
    for got in cur.fetchall():
        row = dict(zip(CTA_COLUMNS, got, strict=True))
        row["evidence"] = json.loads(row["evidence"] or "[]")
        out.append(row)
    return out


def update_cta_row(con: duckdb.DuckDBPyConnection, cta_id: int, changes: dict[str, Any]) -> None:
    """Set some columns of one CTA (evidence as a list)."""
    if not changes:
        return
    sets = ", ".join(f"{k} = ?" for k in changes)
    values = [json.dumps(v) if k == "evidence" else v for k, v in changes.items()]
    con.execute(f"UPDATE ctas SET {sets} WHERE id = ?", [*values, int(cta_id)])


def set_deferred(con: duckdb.DuckDBPyConnection, flags: dict[int, tuple[bool, str | None]]) -> None:
    """Write the queue's verdict: per CTA id, (deferred, owner)."""
    if not flags:
        return
    frame = pd.DataFrame(
        [{"id": k, "deferred": v[0], "owner": v[1]} for k, v in flags.items()],
        columns=["id", "deferred", "owner"],
    )
    con.register("_hs_deferred", frame)
    try:
        con.execute(
            "UPDATE ctas SET deferred = d.deferred, owner = d.owner FROM _hs_deferred d "
            "WHERE ctas.id = d.id AND (ctas.deferred IS DISTINCT FROM d.deferred "
            "OR ctas.owner IS DISTINCT FROM d.owner)"
        )
    finally:
        con.unregister("_hs_deferred")


def add_event(
    con: duckdb.DuckDBPyConnection,
    cta_id: int,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One history row: who did what to a CTA, and its state before and after."""
    con.execute(
        "INSERT INTO cta_events VALUES (?, ?, ?, ?, ?, ?)",
        [
            int(cta_id),
            at,
            actor,
            action,
            None if before is None else json.dumps(before, default=str, sort_keys=True),
            None if after is None else json.dumps(after, default=str, sort_keys=True),
        ],
    )


def _bulk(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert many rows through one registered frame (one statement, not one per row)."""
    if not rows:
        return
    values = (list(c) for c in zip(*rows, strict=True))
    frame = _columns(dict(zip(columns, values, strict=True)))
    view = f"_hs_bulk_{table}"
    con.register(view, frame)
    try:
        cols = ", ".join(columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
    finally:
        con.unregister(view)


def add_opened_events(
    con: duckdb.DuckDBPyConnection, first_id: int, last_id: int, at: dt.datetime, actor: str
) -> None:
    """The 'opened' history row of every CTA with an id in [first_id, last_id], built in one
    statement from the rows just inserted (its state after: status, rule, the day)."""
    con.execute(
        "INSERT INTO cta_events (cta_id, happened_at, actor, action, before_state, after_state) "
        "SELECT id, ?, ?, CASE WHEN held_back THEN 'opened (held back)' ELSE 'opened' END, "
        "NULL, CAST(json_object('on', opened_on, 'rule', rule, 'status', 'open') AS VARCHAR) "
        "FROM ctas WHERE id BETWEEN ? AND ? ORDER BY id",
        [at, actor, int(first_id), int(last_id)],
    )


def add_events(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
    """Many history rows (cta_id, happened_at, actor, action, before, after as dicts)."""
    _bulk(
        con,
        "cta_events",
        ("cta_id", "happened_at", "actor", "action", "before_state", "after_state"),
        [
            (
                r[0],
                r[1],
                r[2],
                r[3],
                *(
                    None if x is None else json.dumps(x, default=str, sort_keys=True)
                    for x in r[4:6]
                ),
            )
            for r in rows
        ],
    )


def add_steps_many(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Checklist rows of many CTAs (dicts with cta_id, step_no, title, owner, due, template)."""
    _bulk(
        con,
        "cta_steps",
        ("cta_id", "step_no", "title", "owner", "due", "template"),
        [
            (r["cta_id"], r["step_no"], r["title"], r.get("owner"), r.get("due"), r.get("template"))
            for r in rows
        ],
    )


def add_fires(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
    """Firings (rule, account_id, mode, fired_on, cta_id)."""
    _bulk(con, "rule_fires", ("rule", "account_id", "mode", "fired_on", "cta_id"), rows)


def add_asks(con: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
    """Asks (contact_id, account_id, kind, asked_on, cta_id, mode)."""
    _bulk(
        con,
        "contact_asks",
        ("contact_id", "account_id", "kind", "asked_on", "cta_id", "mode"),
        rows,
    )


def refresh_ctas(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Re-fired CTAs: new evidence, priority parts, last firing date and count, in one update."""
    if not rows:
        return
    cols = (
        "id",
        "last_fired_on",
        "fire_count",
        "evidence",
        "arr_at_stake",
        "churn_probability",
        "churn_source",
        "urgency",
        "priority",
    )
    frame = pd.DataFrame(
        [[json.dumps(r[c]) if c == "evidence" else r[c] for c in cols] for r in rows],
        columns=list(cols),
    )
    con.register("_hs_refresh", frame)
    try:
        sets = ", ".join(f"{c} = r.{c}" for c in cols[1:])
        con.execute(f"UPDATE ctas SET {sets} FROM _hs_refresh r WHERE ctas.id = r.id")
    finally:
        con.unregister("_hs_refresh")


def add_steps(con: duckdb.DuckDBPyConnection, cta_id: int, steps: Iterable[dict[str, Any]]) -> None:
    for s in steps:
        con.execute(
            "INSERT INTO cta_steps VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
            [
                int(cta_id),
                s["step_no"],
                s["title"],
                s.get("owner"),
                s.get("due"),
                s.get("template"),
            ],
        )


def tick_step_row(
    con: duckdb.DuckDBPyConnection, cta_id: int, step_no: int, at: dt.datetime, actor: str
) -> bool:
    """Mark a step done; False when the CTA has no such step."""
    got = con.execute(
        "UPDATE cta_steps SET done_at = coalesce(done_at, ?), done_by = coalesce(done_by, ?) "
        "WHERE cta_id = ? AND step_no = ? RETURNING step_no",
        [at, actor, int(cta_id), int(step_no)],
    ).fetchall()
    return bool(got)


def rule_states(
    con: duckdb.DuckDBPyConnection, mode: str
) -> dict[tuple[str, str], tuple[Any, Any]]:
    """(rule, account) -> (holds_since, last_seen)."""
    cur = con.execute(
        "SELECT rule, account_id, holds_since, last_seen FROM rule_state WHERE mode = ?", [mode]
    )
    return {(r, a): (s, last) for r, a, s, last in cur.fetchall()}


def set_rule_states(
    con: duckdb.DuckDBPyConnection, mode: str, rule: str, states: dict[str, tuple[Any, Any]]
) -> None:
    """Replace one rule's state rows: account -> (holds_since, last_seen)."""
    con.execute("DELETE FROM rule_state WHERE mode = ? AND rule = ?", [mode, rule])
    if not states:
        return
    frame = pd.DataFrame(
        [
            {"rule": rule, "account_id": a, "mode": mode, "holds_since": s, "last_seen": last}
            for a, (s, last) in states.items()
        ]
    )
    con.register("_hs_rule_state", frame)
    try:
        con.execute(
            "INSERT INTO rule_state SELECT rule, account_id, mode, CAST(holds_since AS DATE), "
            "CAST(last_seen AS DATE) FROM _hs_rule_state"
        )
    finally:
        con.unregister("_hs_rule_state")


def fires_since(
    con: duckdb.DuckDBPyConnection, mode: str, since: dt.date
) -> dict[tuple[str, str], list[dt.date]]:
    """(rule, account) -> the dates it fired on or after `since`."""
    cur = con.execute(
        "SELECT rule, account_id, fired_on FROM rule_fires WHERE mode = ? AND fired_on >= ?",
        [mode, since],
    )
    out: dict[tuple[str, str], list[dt.date]] = {}
    for r, a, d in cur.fetchall():
        out.setdefault((r, a), []).append(d)
    return out


def add_fire(
    con: duckdb.DuckDBPyConnection,
    mode: str,
    rule: str,
    account_id: str,
    fired_on: dt.date,
    cta_id: int | None,
) -> None:
    con.execute(
        "INSERT INTO rule_fires VALUES (?, ?, ?, ?, ?)", [rule, account_id, mode, fired_on, cta_id]
    )


def recent_asks(con: duckdb.DuckDBPyConnection, mode: str, kind: str, since: dt.date) -> set[str]:
    """Contacts asked for `kind` on or after `since`."""
    cur = con.execute(
        "SELECT DISTINCT contact_id FROM contact_asks WHERE mode = ? AND kind = ? "
        "AND asked_on >= ?",
        [mode, kind, since],
    )
    return {r[0] for r in cur.fetchall()}


def add_ask(
    con: duckdb.DuckDBPyConnection,
    mode: str,
    kind: str,
    contact_id: str,
    account_id: str,
    asked_on: dt.date,
    cta_id: int | None,
) -> None:
    con.execute(
        "INSERT INTO contact_asks VALUES (?, ?, ?, ?, ?, ?)",
        [contact_id, account_id, kind, asked_on, cta_id, mode],
    )


def record_run(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    con.execute(
        "INSERT INTO alert_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row["as_of"],
            row["mode"],
            row["ran_at"],
            row["rules"],
            row["fired"],
            row["opened"],
            row["updated"],
            row["resolved"],
            row["held_back"],
            json.dumps(row["errors"]),
            json.dumps(row.get("capacity")),
        ],
    )


def delete_mode(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Forget every CTA and rule state of `mode` (a replay starts from nothing)."""
    con.execute(
        "DELETE FROM cta_events WHERE cta_id IN (SELECT id FROM ctas WHERE mode = ?)", [mode]
    )
    con.execute(
        "DELETE FROM cta_steps WHERE cta_id IN (SELECT id FROM ctas WHERE mode = ?)", [mode]
    )
    for table in ("ctas", "rule_state", "rule_fires", "contact_asks", "alert_runs"):
        con.execute(f"DELETE FROM {table} WHERE mode = ?", [mode])


def account_segments_of(
    con: duckdb.DuckDBPyConnection, account_ids: list[str]
) -> dict[str, str | None]:
    """account -> segment, read inside the writing transaction (for the queue)."""
    if not account_ids:
        return {}
    frame = pd.DataFrame({"account_id": account_ids})
    con.register("_hs_accounts", frame)
    try:
        got = con.execute(
            "SELECT a.account_id, a.segment FROM accounts a JOIN _hs_accounts x USING (account_id)"
        ).fetchall()
    finally:
        con.unregister("_hs_accounts")
    return {str(a): s for a, s in got}


def latest_capacity(con: duckdb.DuckDBPyConnection, mode: str) -> dict[str, Any] | None:
    """The capacity settings of the newest run of `mode` (what a CLI or web change requeues
    with), None before any run."""
    got = con.execute(
        "SELECT capacity FROM alert_runs WHERE mode = ? ORDER BY ran_at DESC, as_of DESC LIMIT 1",
        [mode],
    ).fetchone()
    if not got or got[0] is None:
        return None
    value = json.loads(got[0])
    return value if isinstance(value, dict) else None


def avert_churn(
    con: duckdb.DuckDBPyConnection, account_id: str, after: dt.date, until: dt.date
) -> list[str]:
    """The demo's simulated save: the account's last subscription, ending between `after`
    and `until` with nothing after it, runs on instead (its end cleared).  The ids changed."""
    got = con.execute(
        """
        UPDATE subscriptions SET end_date = NULL
        WHERE account_id = ? AND end_date > ? AND end_date <= ?
          AND NOT EXISTS (
            SELECT 1 FROM subscriptions s2
            WHERE s2.account_id = subscriptions.account_id AND s2.start_date >= subscriptions.end_date)
        RETURNING subscription_id""",
        [account_id, after, until],
    ).fetchall()
    return [str(r[0]) for r in got]


_STATE_COLUMNS = (
    "status",
    "owner",
    "snoozed_until",
    "snooze_reason",
    "outcome",
    "note",
    "closed_on",
    "version",
    "updated_at",
)


def update_cta_states(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Write the lifecycle columns of many CTAs in one statement (their new full state)."""
    if not rows:
        return
    cols = ("id", *_STATE_COLUMNS)
    frame = pd.DataFrame([[r.get(c) for c in cols] for r in rows], columns=list(cols))
    for c in ("snoozed_until", "closed_on"):
        frame[c] = pd.to_datetime(frame[c]).dt.date
    con.register("_hs_states", frame)
    try:
        sets = ", ".join(f"{c} = s.{c}" for c in _STATE_COLUMNS)
        con.execute(f"UPDATE ctas SET {sets} FROM _hs_states s WHERE ctas.id = s.id")
    finally:
        con.unregister("_hs_states")


def set_rule_states_many(
    con: duckdb.DuckDBPyConnection, mode: str, states: dict[str, dict[str, tuple[Any, Any]]]
) -> None:
    """Replace the state rows of several rules at once: rule -> account -> (holds_since,
    last_seen).  A rule given with no accounts loses its rows; rules not given keep theirs."""
    if not states:
        return
    names = pd.DataFrame({"rule": list(states)})
    con.register("_hs_rule_names", names)
    try:
        con.execute(
            "DELETE FROM rule_state WHERE mode = ? AND rule IN (SELECT rule FROM _hs_rule_names)",
            [mode],
        )
    finally:
        con.unregister("_hs_rule_names")
    rules, accounts, since, last = [], [], [], []
    for rule, per in states.items():
        for a, (s, seen) in per.items():
            rules.append(rule)
            accounts.append(a)
            since.append(s)
            last.append(seen)
    if not rules:
        return
    frame = pd.DataFrame(
        {"rule": rules, "account_id": accounts, "holds_since": since, "last_seen": last}
    )
    con.register("_hs_rule_state", frame)
    try:
        con.execute(
            "INSERT INTO rule_state SELECT rule, account_id, ?, CAST(holds_since AS DATE), "
            "CAST(last_seen AS DATE) FROM _hs_rule_state",
            [mode],
        )
    finally:
        con.unregister("_hs_rule_state")


def contacts_in(con: duckdb.DuckDBPyConnection, account_ids: Sequence[str]) -> pd.DataFrame:
    """account_id, contact_id, name, email, role of the contacts of these accounts, by
    contact id.  A join on a registered frame: a run over a large portfolio asks thousands
    of accounts, and a literal IN list of that size costs seconds to compile."""
    frame = pd.DataFrame({"account_id": [str(a) for a in account_ids]}).drop_duplicates()
    con.register("_hs_ask_accounts", frame)
    try:
        return con.execute(
            "SELECT CAST(c.account_id AS VARCHAR) AS account_id, c.contact_id, c.name, c.email, "
            "c.role FROM contacts c JOIN _hs_ask_accounts x "
            "ON CAST(c.account_id AS VARCHAR) = x.account_id ORDER BY c.contact_id"
        ).df()
    finally:
        con.unregister("_hs_ask_accounts")


def _tracked_json(status: str, note: str, outcome: str, snoozed_until: str) -> str:
    """The history row's state (healthscore.actions.lifecycle's tracked fields) in SQL."""
    return (
        f"CAST(json_object('due', c.due, 'note', {note}, 'outcome', {outcome}, "
        f"'owner', c.owner, 'priority', c.priority, 'snooze_reason', c.snooze_reason, "
        f"'snoozed_until', {snoozed_until}, 'status', {status}) AS VARCHAR)"
    )


def close_ctas(
    con: duckdb.DuckDBPyConnection,
    closes: Sequence[tuple[int, str]],
    *,
    outcome: str,
    actor: str,
    action: str,
    at: dt.datetime,
    on: dt.date,
) -> None:
    """Close many open CTAs (id, note) with one outcome, in two statements: their history
    rows (state before and after) and the update (closed on `on`, a snooze cleared, the
    version bumped).  The caller has checked that none is closed yet."""
    if not closes:
        return
    frame = _columns({"id": [int(i) for i, _ in closes], "note": [n for _, n in closes]})
    con.register("_hs_closes", frame)
    try:
        before = _tracked_json("c.status", "c.note", "c.outcome", "c.snoozed_until")
        after = _tracked_json(
            "'closed'",
            "x.note",
            "?",
            "CASE WHEN c.status = 'snoozed' THEN NULL ELSE c.snoozed_until END",
        )
        con.execute(
            "INSERT INTO cta_events (cta_id, happened_at, actor, action, before_state, "
            f"after_state) SELECT c.id, ?, ?, ?, {before}, {after} "
            "FROM ctas c JOIN _hs_closes x ON c.id = x.id ORDER BY c.id",
            [at, actor, action, outcome],
        )
        con.execute(
            "UPDATE ctas SET status = 'closed', outcome = ?, note = x.note, closed_on = ?, "
            "snoozed_until = CASE WHEN ctas.status = 'snoozed' THEN NULL "
            "ELSE ctas.snoozed_until END, version = ctas.version + 1, updated_at = ? "
            "FROM _hs_closes x WHERE ctas.id = x.id",
            [outcome, on, at],
        )
    finally:
        con.unregister("_hs_closes")
