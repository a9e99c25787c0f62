"""`healthscore daily` end to end on a small demo store, with a real SMTP receiver."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from notify.receivers import Mailbox, Receiver
from typer.testing import CliRunner, Result

from healthscore.cli import app
from healthscore.store import open_store

AS_OF = "2026-10-31"
HAS_ACTIONS = importlib.util.find_spec("healthscore.actions") is not None


def channel_file(tmp_path: Path, mailbox: Mailbox, extra: str = "") -> Path:
    path = tmp_path / "channels.yaml"
    path.write_text(
        "smtp:\n"
        "  host: 127.0.0.1\n"
        f"  port: {mailbox.port}\n"
        "  from: Healthscore <hs@example.com>\n"
        "recipients:\n"
        "  Jonas Lindqvist: {email: jonas@example.com}\n"
        "  default: {email: cs-team@example.com}\n" + extra
    )
    return path


def daily(db: Path, channels: Path | None, *args: str) -> Result:
    env = {"HEALTHSCORE_NOTIFICATIONS": str(channels) if channels else None}
    return CliRunner().invoke(
        app,
        ["daily", "--db", str(db), "--as-of", AS_OF, *args],
        env=env,  # type: ignore[arg-type]  # None unsets it
    )


def counts(db: Path) -> dict[str, int]:
    with open_store(db) as store:
        out = {
            t: store.count(t)
            for t in ("outbox", "outbox_deliveries", "outbox_attempts", "digest_log")
        }
        out["snapshots"] = int(
            store.con.execute(
                "SELECT count(*) FROM score_snapshots WHERE as_of = ?", [dt.date(2026, 10, 31)]
            ).fetchone()[0]  # type: ignore[index]
        )
        tables = {r[0] for r in store.con.execute("SHOW TABLES").fetchall()}
        out["ctas"] = store.count("ctas") if "ctas" in tables else 0
    return out


def watched_folder(db: Path, tmp_path: Path) -> Path:
    with open_store(db) as store:
        account = store.con.execute("SELECT min(account_id) FROM accounts").fetchone()[0]  # type: ignore[index]
    watch = tmp_path / "exports"
    watch.mkdir()
    (watch / "events-2026-10.csv").write_text(
        "account_id,user_id,event_time,event_type\n"
        f"{account},u-new-1,2026-10-30T10:00:00,login\n"
        f"{account},u-new-2,2026-10-30T11:00:00,login\n"
    )
    (watch / "notes.txt").write_text("not data\n")
    return watch


def test_daily_imports_scores_alerts_and_sends_digests_once(
    demo_db: Path, tmp_path: Path, mailbox: Mailbox
) -> None:
    ch = channel_file(tmp_path, mailbox)
    watch = watched_folder(demo_db, tmp_path)
    first = daily(demo_db, ch, "--watch", str(watch))
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0] == f"daily {AS_OF}"
    assert [ln.split()[0] for ln in lines[1:]] == ["import", "score", "alerts", "notify"]
    assert "import  ok       1 files: 2 new rows, 0 already stored" in lines[1]
    assert "accounts scored as of 2026-10-31" in lines[2]
    if not HAS_ACTIONS or sys.modules.get("healthscore.actions", 0) is None:
        assert "skipped" in lines[3]
    assert mailbox.messages, "no digest was mailed"

    # a digest per owner with news: Jonas to his address, the other owners to the default
    assert {m["To"] for m in mailbox.messages} <= {"jonas@example.com", "cs-team@example.com"}
    jonas = [m for m in mailbox.messages if m["To"] == "jonas@example.com"]
    assert len(jonas) >= 1
    digest = next(m for m in jonas if m["X-Healthscore-Topic"] == "digest")
    assert digest["Subject"].startswith(f"Healthscore digest for {AS_OF}: ")
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith(f"Healthscore digest for Jonas Lindqvist, {AS_OF}")
    assert "Renewals coming up" in text  # the demo has renewals within 60 days
    assert digest.get_body(("html",)) is not None
    before = counts(demo_db)
    if before["ctas"]:  # the rules opened CTAs: each owner's digest lists them as new
        bodies = [m.get_body(("plain",)).get_content() for m in mailbox.messages]  # type: ignore[union-attr]
        assert any("New calls-to-action (" in b for b in bodies)
    assert before["snapshots"] > 0 and before["outbox"] >= len(mailbox.messages) > 0

    # the same day again: nothing new is written or sent
    sent = len(mailbox.messages)
    second = daily(demo_db, ch, "--watch", str(watch))
    assert second.exit_code == 0, second.output
    assert "1 files: 0 new rows, 2 already stored" in second.stdout
    assert "0 digests queued" in second.stdout and "already sent for 2026-10-31" in second.stdout
    assert len(mailbox.messages) == sent
    after = counts(demo_db)
    assert after == before


def test_dry_run_writes_and_sends_nothing(demo_db: Path, tmp_path: Path, mailbox: Mailbox) -> None:
    before = counts(demo_db)
    got = daily(demo_db, channel_file(tmp_path, mailbox), "--dry-run", "--format", "json")
    assert got.exit_code == 0, got.output
    doc = json.loads(got.stdout)
    assert doc["dry_run"] is True and next(s["status"] for s in doc["stages"]) == "dry-run"
    assert "would go to" in doc["stages"][-1]["summary"]
    assert counts(demo_db) == before and mailbox.messages == []


def test_an_invalid_channel_file_stops_at_notify_and_keeps_the_scores(
    demo_db: Path, tmp_path: Path, cli_failure, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "channels.yaml"
    bad.write_text("smtp:\n  host: h\n  from: nope\n")
    monkeypatch.setenv("HEALTHSCORE_NOTIFICATIONS", str(bad))
    failed = cli_failure("daily", "--db", str(demo_db), "--as-of", AS_OF)
    assert failed.exit_code == 13
    assert failed.message.startswith("daily job stopped at notify: ")
    assert "channels.yaml line 3, smtp.from" in failed.message
    assert "notify  failed" in failed.stdout and "score   ok" in failed.stdout
    assert counts(demo_db)["snapshots"] > 0


def test_a_missing_watched_folder_stops_before_scoring(
    demo_db: Path, tmp_path: Path, cli_failure
) -> None:  # type: ignore[no-untyped-def]
    failed = cli_failure("daily", "--db", str(demo_db), "--watch", str(tmp_path / "nope"))
    assert failed.exit_code == 10
    assert "watched folder" in failed.message and "does not exist" in failed.message


def test_an_empty_store_fails_at_scoring(tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "empty.duckdb"
    open_store(db).close()
    failed = cli_failure("daily", "--db", str(db))
    assert failed.exit_code == 11
    assert failed.message.startswith("daily job stopped at score: ")


def test_a_delivery_that_gives_up_makes_exit_code_3(
    demo_db: Path, tmp_path: Path, mailbox: Mailbox, receiver: Receiver
) -> None:
    receiver.modes["/down"] = "500"
    ch = tmp_path / "channels.yaml"
    ch.write_text(
        f"webhooks:\n  down: {{url: '{receiver.url('/down')}', timeout: 2}}\n"
        "recipients:\n  default: {webhooks: [down]}\n"
        "delivery: {max_attempts: 1}\n"
    )
    got = daily(demo_db, ch)
    assert got.exit_code == 3, got.output
    assert "gave up" in got.stdout
    assert receiver.to("/down")


def test_without_the_actions_feature_the_alerts_stage_is_skipped(
    demo_db: Path, tmp_path: Path, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "healthscore.actions", None)  # as if not installed
    got = daily(demo_db, channel_file(tmp_path, mailbox))
    assert got.exit_code == 0, got.output
    assert "alerts  skipped  no rules engine installed" in got.stdout
    assert mailbox.messages
