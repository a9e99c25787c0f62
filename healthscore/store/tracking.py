"""Writes of the Segment-compatible tracking calls: events, accounts, contacts, links, pending.

One call of `record_calls` runs in the caller's transaction and does, in order:

1. drops messages whose id is already recorded (``tracking_messages``) or repeated in the
   batch (the first one wins): a retried request stores nothing twice;
2. group calls upsert accounts (traits fill the named columns, the rest `properties`;
   a trait not sent keeps the stored value) and link the user to the account;
3. identify calls keep the user's traits, and link the user when they name a group;
4. every linked user of this call becomes (or updates) a contact of its account;
5. track calls become events (``event_id`` = messageId, ``event_key`` = hash of it, as an
   import of the same id computes) when their account is known, else wait in
   ``tracking_pending`` with the reason; pending calls resolved by this call's links and
   accounts move into events;
6. each new message id is recorded with its outcome.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

__all__ = [
    "ACCOUNT_TRAITS",
    "CONTACT_TRAITS",
    "Calls",
    "Drained",
    "Outcome",
    "count_pending",
    "discard_partial",
    "drain_spool",
    "record_calls",
    "spool_calls",
    "spool_dir",
    "spooled_files",
]

# account column -> type, for traits of group calls; the rest go to `properties`.
ACCOUNT_TRAITS = {
    "name": "VARCHAR",
    "segment": "VARCHAR",
    "plan": "VARCHAR",
    "industry": "VARCHAR",
    "persona": "VARCHAR",
    "mrr": "DOUBLE",
    "arr": "DOUBLE",
    "seats_purchased": "INTEGER",
    "start_date": "DATE",
    "renewal_date": "DATE",
    "owner_csm": "VARCHAR",
}
CONTACT_TRAITS = {
    "email": "VARCHAR",
    "name": "VARCHAR",
    "role": "VARCHAR",
    "persona": "VARCHAR",
    "created_at": "TIMESTAMP",
}


@dataclass
class Calls:
    """The rows of one request, already mapped from Segment's messages.

    `tracks`: message_id, user_id, account_id (None: from the user's link), event_time,
    event_type, value, properties (JSON text).  `identifies`: message_id, user_id,
    account_id, traits (JSON object text of the contact's columns and others).
    `groups`: message_id, user_id, account_id, account (dict of ACCOUNT_TRAITS values),
    properties (JSON text).
    """

    tracks: list[tuple[Any, ...]] = field(default_factory=list)
    identifies: list[tuple[Any, ...]] = field(default_factory=list)
    groups: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Outcome:
    stored: int = 0
    duplicates: int = 0
    pending: list[dict[str, str]] = field(default_factory=list)
    resolved: int = 0
    accounts: int = 0
    contacts: int = 0


def _new_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    con.register("_trk_ids", pa.table({"message_id": pa.array(ids, pa.string())}))
    try:
        known = {
            r[0]
            for r in con.execute(
                "SELECT i.message_id FROM _trk_ids i JOIN tracking_messages m USING (message_id)"
            ).fetchall()
        }
    finally:
        con.unregister("_trk_ids")
    return set(ids) - known


def _link(con: duckdb.DuckDBPyConnection, user_id: str, account_id: str, at: dt.datetime) -> None:
    con.execute("DELETE FROM tracking_links WHERE user_id = ?", [user_id])
    con.execute("INSERT INTO tracking_links VALUES (?, ?, ?)", [user_id, account_id, at])


def _upsert_account(
    con: duckdb.DuckDBPyConnection, account_id: str, values: dict[str, Any], props: str | None
) -> bool:
    """Insert or update one account; True when it is new."""
    cols = [c for c in ACCOUNT_TRAITS if values.get(c) is not None]
    exists = con.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchone()
    if exists:
        sets = [f"{c} = ?" for c in cols]
        args = [values[c] for c in cols]
        if props is not None:
            # New traits win over stored ones of the same name; others are kept.
            sets.append(
                "properties = CAST(json_merge_patch(coalesce(properties, '{}'), ?) AS VARCHAR)"
            )
            args.append(props)
        if sets:
            con.execute(
                f"UPDATE accounts SET {', '.join(sets)} WHERE account_id = ?", [*args, account_id]
            )
        return False
    names = ["account_id", *cols, "properties"]
    marks = ", ".join("?" for _ in names)
    con.execute(
        f"INSERT INTO accounts ({', '.join(names)}) VALUES ({marks})",
        [account_id, *(values[c] for c in cols), props],
    )
    return True


def _upsert_contacts(con: duckdb.DuckDBPyConnection, users: set[str]) -> int:
    """Make every linked user in `users` a contact of its account, with its identify traits."""
    n = 0
    for user_id in sorted(users):
        link = con.execute(
            "SELECT l.account_id FROM tracking_links l JOIN accounts a USING (account_id) "
            "WHERE l.user_id = ?",
            [user_id],
        ).fetchone()
        if link is None:
            continue
        traits_row = con.execute(
            "SELECT traits FROM tracking_users WHERE user_id = ?", [user_id]
        ).fetchone()
        traits = traits_row[0] if traits_row else "{}"
        typed = ", ".join(
            f"try_cast(json_extract_string(?, '$.{c}') AS {t}) AS {c}"
            for c, t in CONTACT_TRAITS.items()
        )
        con.execute("DELETE FROM contacts WHERE contact_id = ?", [user_id])
        con.execute(
            f"INSERT INTO contacts (contact_id, account_id, {', '.join(CONTACT_TRAITS)}, properties) "
            f"SELECT ?, ?, {', '.join(CONTACT_TRAITS)}, ? FROM (SELECT {typed})",
            [user_id, link[0], *([traits] * len(CONTACT_TRAITS)), _other_traits(con, traits)],
        )
        n += 1
    return n


def _other_traits(con: duckdb.DuckDBPyConnection, traits: str) -> str | None:
    import json

    data = json.loads(traits)
    rest = {k: v for k, v in data.items() if k not in CONTACT_TRAITS}
    return json.dumps(rest, sort_keys=True, default=str) if rest else None


def _merge_traits(
    con: duckdb.DuckDBPyConnection, user_id: str, traits: str, at: dt.datetime
) -> None:
    """Keep a user's identify traits; newer values of a trait replace older ones."""
    if con.execute("SELECT 1 FROM tracking_users WHERE user_id = ?", [user_id]).fetchone():
        con.execute(
            "UPDATE tracking_users SET traits = CAST(json_merge_patch(traits, ?) AS VARCHAR), "
            "updated_at = ? WHERE user_id = ?",
            [traits, at, user_id],
        )
    else:
        con.execute("INSERT INTO tracking_users VALUES (?, ?, ?)", [user_id, traits, at])


def _insert_events(con: duckdb.DuckDBPyConnection, view: str) -> int:
    """Insert the rows of `view` (with account_id set) not stored yet; their count."""
    row = con.execute(
        f"INSERT INTO events (event_key, event_id, account_id, user_id, event_time, event_type, "
        f"value, properties) SELECT hash(v.message_id), v.message_id, v.account_id, v.user_id, "
        f"v.event_time, v.event_type, v.value, v.properties FROM {view} v "
        "WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_key = hash(v.message_id))"
    ).fetchone()
    return int(row[0]) if row else 0


def record_calls(con: duckdb.DuckDBPyConnection, calls: Calls, received_at: dt.datetime) -> Outcome:
    """Store one request's calls (see the module docstring); runs in the caller's transaction."""
    out = Outcome()
    ordered: list[tuple[str, str]] = (
        [(g[0], "group") for g in calls.groups]
        + [(i[0], "identify") for i in calls.identifies]
        + [(t[0], "track") for t in calls.tracks]
    )
    fresh = _new_ids(con, [m for m, _ in ordered])
    seen: set[str] = set()
    keep: set[str] = set()
    for mid, _ in ordered:
        if mid in fresh and mid not in seen:
            keep.add(mid)
        seen.add(mid)
    out.duplicates = len(ordered) - len(keep)
    outcomes: dict[str, str] = {}
    touched_users: set[str] = set()
    new_accounts: set[str] = set()

    for mid, user_id, account_id, values, props in calls.groups:
        if mid not in keep:
            continue
        if _upsert_account(con, account_id, values, props):
            out.accounts += 1
        new_accounts.add(account_id)
        if user_id:
            _link(con, user_id, account_id, received_at)
            touched_users.add(user_id)
        outcomes[mid] = "stored"

    for mid, user_id, account_id, traits in calls.identifies:
        if mid not in keep:
            continue
        _merge_traits(con, user_id, traits, received_at)
        if account_id:
            _link(con, user_id, account_id, received_at)
        touched_users.add(user_id)
        outcomes[mid] = "stored"

    out.contacts = _upsert_contacts(con, touched_users)

    tracks = [t for t in calls.tracks if t[0] in keep]
    if tracks:
        out.stored, out.pending = _record_tracks(con, tracks, received_at)

    if touched_users or new_accounts:
        out.resolved = _resolve_pending(con)

    if outcomes:
        rows = [(m, c, outcomes[m]) for m, c in ordered if m in outcomes]
        con.register(
            "_trk_msgs",
            pa.table(
                {
                    "message_id": [r[0] for r in rows],
                    "call": [r[1] for r in rows],
                    "outcome": [r[2] for r in rows],
                }
            ),
        )
        try:
            con.execute(
                "INSERT INTO tracking_messages SELECT message_id, call, ?, outcome FROM _trk_msgs",
                [received_at],
            )
        finally:
            con.unregister("_trk_msgs")
    return out


def _record_tracks(
    con: duckdb.DuckDBPyConnection, tracks: list[tuple[Any, ...]], received_at: dt.datetime
) -> tuple[int, list[dict[str, str]]]:
    """Track calls into events (account known) or pending (not yet); their message ids
    recorded.  One Arrow table in, a few set-wise statements: no row-by-row SQL."""
    columns = list(zip(*tracks, strict=True))
    table = pa.table(
        {
            "message_id": pa.array(columns[0], pa.string()),
            "user_id": pa.array(columns[1], pa.string()),
            "account_id": pa.array(columns[2], pa.string()),
            "event_time": pa.array(columns[3], pa.timestamp("us")),
            "event_type": pa.array(columns[4], pa.string()),
            "value": pa.array(columns[5], pa.float64()),
            "properties": pa.array(columns[6], pa.string()),
        }
    )
    con.register("_trk_in", table)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _trk AS SELECT i.message_id, i.user_id, "
            "coalesce(i.account_id, l.account_id) AS account_id, i.event_time, i.event_type, "
            "i.value, i.properties, "
            "CASE WHEN coalesce(i.account_id, l.account_id) IS NULL THEN "
            "'no account: send a group call linking user ' || coalesce(i.user_id, '?') || "
            "' to its account, or a groupId in the call''s context' "
            "WHEN a.account_id IS NULL THEN 'unknown account ' || "
            "coalesce(i.account_id, l.account_id) || ': send a group call for it or import it' "
            "END AS reason "
            "FROM _trk_in i LEFT JOIN tracking_links l ON l.user_id = i.user_id "
            "LEFT JOIN accounts a ON a.account_id = coalesce(i.account_id, l.account_id)"
        )
    finally:
        con.unregister("_trk_in")
    con.execute("CREATE OR REPLACE TEMP VIEW _trk_ok AS SELECT * FROM _trk WHERE reason IS NULL")
    stored = _insert_events(con, "_trk_ok")
    pending = [
        {"messageId": mid, "reason": reason}
        for mid, reason in con.execute(
            "SELECT message_id, reason FROM _trk WHERE reason IS NOT NULL ORDER BY message_id"
        ).fetchall()
    ]
    if pending:
        con.execute(
            "INSERT INTO tracking_pending SELECT message_id, user_id, account_id, event_time, "
            "event_type, value, properties, reason, ? FROM _trk WHERE reason IS NOT NULL",
            [received_at],
        )
    con.execute(
        "INSERT INTO tracking_messages SELECT message_id, 'track', ?, "
        "CASE WHEN reason IS NULL THEN 'stored' ELSE 'pending' END FROM _trk",
        [received_at],
    )
    con.execute("DROP VIEW _trk_ok")
    con.execute("DROP TABLE _trk")
    return stored, pending


def _resolve_pending(con: duckdb.DuckDBPyConnection) -> int:
    """Move pending track calls whose account is now known into events."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _trk_res AS SELECT p.message_id, p.user_id, "
        "coalesce(p.account_id, l.account_id) AS account_id, p.event_time, p.event_type, "
        "p.value, p.properties FROM tracking_pending p "
        "LEFT JOIN tracking_links l ON l.user_id = p.user_id "
        "JOIN accounts a ON a.account_id = coalesce(p.account_id, l.account_id)"
    )
    moved = _insert_events(con, "_trk_res")
    con.execute(
        "DELETE FROM tracking_pending WHERE message_id IN (SELECT message_id FROM _trk_res)"
    )
    con.execute(
        "UPDATE tracking_messages SET outcome = 'stored' "
        "WHERE message_id IN (SELECT message_id FROM _trk_res)"
    )
    con.execute("DROP TABLE _trk_res")
    return moved


def count_pending(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM tracking_pending").fetchone()
    return int(row[0]) if row else 0


# -- the spool: durable acceptance before the store write ---------------------------------
#
# A request's calls are written to one file in a folder beside the store and fsync'd (file,
# then folder) before the 200; a background drain moves spooled files into the store in
# short write windows, many files per transaction, and deletes them only after the commit.
# A crash between the commit and the delete replays the files, and `record_calls` drops
# their message ids as already recorded: nothing is lost and nothing is stored twice.

SPOOL_SUFFIX = ".calls.json"
_TMP_SUFFIX = ".part"


def spool_dir(db: Path) -> Path:
    """The spool folder of the store at `db` (``<store>.spool`` beside it)."""
    return db.with_name(db.name + ".spool")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _encode(calls: Calls, received_at: dt.datetime) -> bytes:
    doc = {
        "v": 1,
        "received_at": received_at.isoformat(),
        "tracks": [[*t[:3], t[3].isoformat(), *t[4:]] for t in calls.tracks],
        "identifies": [list(i) for i in calls.identifies],
        "groups": [
            [
                m,
                u,
                a,
                {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in vals.items()},
                p,
            ]
            for m, u, a, vals, p in calls.groups
        ],
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _decode(data: bytes) -> tuple[Calls, dt.datetime]:
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("v") != 1:
        raise ValueError("not a version-1 spool file")
    calls = Calls(
        tracks=[
            (t[0], t[1], t[2], dt.datetime.fromisoformat(t[3]), t[4], t[5], t[6])
            for t in doc["tracks"]
        ],
        identifies=[tuple(i) for i in doc["identifies"]],
        groups=[
            (
                m,
                u,
                a,
                {
                    k: dt.date.fromisoformat(v) if ACCOUNT_TRAITS.get(k) == "DATE" else v
                    for k, v in vals.items()
                },
                p,
            )
            for m, u, a, vals, p in doc["groups"]
        ],
    )
    return calls, dt.datetime.fromisoformat(doc["received_at"])


def spool_calls(folder: Path, calls: Calls, received_at: dt.datetime) -> Path:
    """Write one request's calls durably (file and folder fsync'd); the file's path.

    The name sorts by arrival (nanoseconds since the epoch, then a random part), so a drain
    applies requests in the order they were answered.  A crash mid-write leaves only a
    ``.part`` file, which no drain reads: its request was never answered.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"
    tmp = folder / (name + _TMP_SUFFIX)
    data = _encode(calls, received_at)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    final = folder / (name + SPOOL_SUFFIX)
    os.replace(tmp, final)
    _fsync_dir(folder)
    return final


def spooled_files(folder: Path) -> list[Path]:
    """The spooled requests not yet in the store, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(SPOOL_SUFFIX))


def discard_partial(folder: Path, older_than_s: float = 60.0) -> int:
    """Delete ``.part`` files of writes that never finished (a crash mid-request)."""
    if not folder.is_dir():
        return 0
    now, n = time.time(), 0
    for p in folder.iterdir():
        if p.name.endswith(_TMP_SUFFIX):
            try:
                if now - p.stat().st_mtime > older_than_s:
                    p.unlink()
                    n += 1
            except FileNotFoundError:
                pass
    return n


@dataclass
class Drained:
    """What one drain window moved from the spool into the store."""

    files: int = 0
    calls: int = 0
    stored: int = 0
    duplicates: int = 0
    pending: int = 0
    resolved: int = 0
    bad: list[str] = field(default_factory=list)  # files set aside (unreadable or refused)


def _set_aside(path: Path, reason: str) -> None:
    bad = path.parent / "bad"
    bad.mkdir(exist_ok=True)
    os.replace(path, bad / path.name)
    (bad / (path.name + ".reason.txt")).write_text(reason + "\n", encoding="utf-8")


def _count(calls: Calls) -> int:
    return len(calls.tracks) + len(calls.identifies) + len(calls.groups)


def _merge(batch: list[tuple[Calls, dt.datetime]]) -> tuple[Calls, dt.datetime]:
    """Many requests' calls as one: their message ids are in arrival order, so the first
    of a repeated id wins as it would have request by request."""
    out = Calls()
    for calls, _ in batch:
        out.tracks += calls.tracks
        out.identifies += calls.identifies
        out.groups += calls.groups
    return out, batch[-1][1]


def drain_spool(
    store: Any, folder: Path, *, max_calls: int = 50_000, max_files: int = 500
) -> Drained:
    """Move the oldest spooled requests (up to `max_calls` calls) into the store in one
    transaction, then delete their files.  `store` is a healthscore Store.

    Track-only requests are merged into one `record_calls` (one set-wise pass for all of
    them); a request with identify or group calls is recorded on its own, in order, since
    its links decide where the next calls go.  A file that cannot be read, or whose calls
    the store refuses, is set aside under ``bad/`` with the reason instead of blocking the
    spool.
    """
    out = Drained()
    chosen: list[tuple[Path, Calls, dt.datetime]] = []
    for path in spooled_files(folder)[:max_files]:
        try:
            calls, received = _decode(path.read_bytes())
        except FileNotFoundError:  # drained by another process meanwhile
            continue
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            _set_aside(path, f"unreadable spool file: {exc}")
            out.bad.append(path.name)
            continue
        if chosen and out.calls + _count(calls) > max_calls:
            break
        chosen.append((path, calls, received))
        out.calls += _count(calls)
    if not chosen:
        return out
    try:
        with store.transaction() as con:
            _record_in_order(con, [(c, r) for _, c, r in chosen], out)
    except duckdb.Error:
        if len(chosen) == 1:
            path = chosen[0][0]
            import traceback

            _set_aside(path, traceback.format_exc(limit=3))
            out.bad.append(path.name)
            out.calls = 0
            return out
        # One request's calls are refused: record them one by one to find it.
        out = Drained(bad=out.bad)
        for path, calls, received in chosen:
            one = Drained()
            try:
                with store.transaction() as con:
                    _record_in_order(con, [(calls, received)], one)
            except duckdb.Error as exc:
                _set_aside(path, f"the store refused these calls: {exc}")
                out.bad.append(path.name)
                continue
            path.unlink(missing_ok=True)
            for k in ("stored", "duplicates", "pending", "resolved"):
                setattr(out, k, getattr(out, k) + getattr(one, k))
            out.files += 1
            out.calls += _count(calls)
        return out
    for path, _, _ in chosen:
        path.unlink(missing_ok=True)
    if chosen:
        _fsync_dir(folder)
    out.files = len(chosen)
    return out


def _record_in_order(
    con: duckdb.DuckDBPyConnection, batch: list[tuple[Calls, dt.datetime]], out: Drained
) -> None:
    run: list[tuple[Calls, dt.datetime]] = []

    def flush() -> None:
        if run:
            calls, received = _merge(run)
            _add(out, record_calls(con, calls, received))
            run.clear()

    for calls, received in batch:
        if calls.identifies or calls.groups:
            flush()
            _add(out, record_calls(con, calls, received))
        else:
            run.append((calls, received))
    flush()


def _add(out: Drained, one: Outcome) -> None:
    out.stored += one.stored
    out.duplicates += one.duplicates
    out.pending += len(one.pending)
    out.resolved += one.resolved
