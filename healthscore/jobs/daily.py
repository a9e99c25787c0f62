"""The daily job: import a watched folder, score, raise CTAs, send notifications, in order.

Each stage runs only when the ones before it succeeded; a failing stage stops the job
with an exit code of its own (`EXIT_CODES`), so a scheduler can tell "the import is
broken" from "the SMTP relay is down".  Every stage is idempotent, so the job may run any
number of times a day (cron, a retry after a failure):

* import: the importers skip rows already stored (their keys), so a file seen before
  adds nothing;
* score: the snapshot of the date is replaced as a whole;
* alerts: the actions feature's run is idempotent per date (no duplicate CTAs);
* notify: one digest per owner per period (the outbox key), immediate alerts once per
  CTA change (the outbox key), and a delivery recorded as sent is never sent again.

Deliveries that fail are retried by the next run; only deliveries that gave up make the
job end with `EXIT_DELIVERY_GAVE_UP` (the rest of the work is done and kept).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthscore.errors import HealthscoreError
from healthscore.notify import Channels, build_digests, deliver, utc_now
from healthscore.notify.digest import digest_contents, period_of
from healthscore.store import Store
from healthscore.store.schema import KINDS

__all__ = [
    "EXIT_ALERTS",
    "EXIT_CODES",
    "EXIT_DELIVERY_GAVE_UP",
    "EXIT_IMPORT",
    "EXIT_NOTIFY",
    "EXIT_OK",
    "EXIT_RULES_FAILED",
    "EXIT_SCORE",
    "DailyFailed",
    "DailyReport",
    "StageResult",
    "run_daily",
    "watched_files",
]

EXIT_OK = 0
EXIT_DELIVERY_GAVE_UP = 3
EXIT_RULES_FAILED = 4
EXIT_IMPORT = 10
EXIT_SCORE = 11
EXIT_ALERTS = 12
EXIT_NOTIFY = 13

EXIT_CODES: dict[int, str] = {
    0: "every stage succeeded (or had nothing to do)",
    1: "the job could not start: invalid settings, or the store cannot be opened (in use, missing)",
    2: "invalid command-line usage",
    EXIT_DELIVERY_GAVE_UP: "all stages ran; some deliveries gave up after their last retry",
    EXIT_RULES_FAILED: "all stages ran; some rules failed at run time and were skipped",
    EXIT_IMPORT: "the import of the watched folder failed; nothing after it ran",
    EXIT_SCORE: "scoring failed; alerts and notifications did not run",
    EXIT_ALERTS: "the rules run failed; notifications did not run",
    EXIT_NOTIFY: "notifications failed (e.g. an invalid channel file); scores and CTAs are kept",
}

_EXTENSIONS = (".csv", ".csv.gz", ".tsv", ".jsonl", ".ndjson", ".jsonl.gz", ".parquet")
_SPLIT = str.maketrans({"-": ".", "_": "."})


class DailyFailed(HealthscoreError):
    """A stage of the daily job failed; `exit_code` says which (see EXIT_CODES)."""

    def __init__(self, message: str, exit_code: int, report: DailyReport):
        super().__init__(message)
        self.exit_code = exit_code
        self.report = report


@dataclass
class StageResult:
    name: str
    status: str  # ok | skipped | failed | dry-run
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class DailyReport:
    day: dt.date
    as_of: dt.date | None = None
    dry_run: bool = False
    stages: list[StageResult] = field(default_factory=list)
    exit_code: int = EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "stages": [
                {"name": s.name, "status": s.status, "summary": s.summary, **s.detail}
                for s in self.stages
            ],
        }

    def lines(self) -> list[str]:
        return [f"{s.name:<7} {s.status:<8} {s.summary}" for s in self.stages]


def watched_files(folder: Path) -> list[tuple[str, Path]]:
    """(kind, file) for every data file in `folder` whose name starts with a kind
    (``accounts.csv``, ``events-2026-11.jsonl.gz``, ``tickets_export.parquet``), accounts
    first and then in the schema's order; other files are left alone."""
    if not folder.is_dir():
        raise HealthscoreError(
            f"watched folder {folder} does not exist or is no folder; create it, or name "
            "the folder the exports land in"
        )
    order = {k: i for i, k in enumerate(KINDS)}
    found: list[tuple[str, Path]] = []
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        if not path.is_file() or name.startswith(".") or not name.endswith(_EXTENSIONS):
            continue
        head = name.translate(_SPLIT).split(".")[0]
        if head in KINDS:
            found.append((head, path))
    return sorted(found, key=lambda kp: (order[kp[0]], kp[1].name))


def _import(store: Store, folder: Path, dry_run: bool) -> StageResult:
    from healthscore.ingest import import_files

    files = watched_files(folder)
    if not files:
        return StageResult("import", "skipped", f"no data files in {folder}")
    if dry_run:
        shown = ", ".join(f"{p.name} ({k})" for k, p in files)
        return StageResult("import", "dry-run", f"would import {shown}")
    inserted = updated = duplicate = rejected = 0
    for kind, path in files:
        # update: the newest export is the truth (a ticket resolved since, an owner changed)
        rep = import_files(store, kind, [path], quarantine=True, update=True)
        inserted += rep.rows_inserted
        updated += rep.rows_updated
        duplicate += rep.rows_duplicate
        rejected += rep.rows_rejected
    changed = f", {updated:,} updated" if updated else ""
    return StageResult(
        "import",
        "ok",
        f"{len(files)} files: {inserted:,} new rows{changed}, {duplicate:,} already stored, "
        f"{rejected:,} quarantined",
        {
            "files": [str(p) for _, p in files],
            "inserted": inserted,
            "updated": updated,
            "rejected": rejected,
        },
    )


def _score(
    store: Store, as_of: dt.date | None, scorecard: Any, engine: Any, today: dt.date
) -> tuple[StageResult, dt.date]:
    from healthscore.scoring import score

    run = score(store, as_of, scorecard, engine, today=today)
    day = run.dates[-1]
    bands = ", ".join(f"{n} {b}" for b, n in sorted(run.bands.items()))
    lag = f"; newest data is {run.data_lag_days} days older" if run.data_lag_days > 0 else ""
    return (
        StageResult(
            "score",
            "ok",
            f"{run.accounts_scored:,} accounts scored as of {day} ({bands}){lag}",
            {"as_of": day.isoformat(), "bands": run.bands},
        ),
        day,
    )


def _alert_runner() -> Callable[..., Any] | None:
    """healthscore.actions.run_alerts when the actions feature provides it."""
    try:
        actions = importlib.import_module("healthscore.actions")
    except ModuleNotFoundError as exc:
        if exc.name != "healthscore.actions":
            raise HealthscoreError(
                f"the rules engine (healthscore.actions) cannot be loaded: {exc}; "
                "reinstall healthscore"
            ) from exc
        return None
    runner = getattr(actions, "run_alerts", None)
    return runner if callable(runner) else None


def _alerts(
    store: Store, as_of: dt.date, rules: Path | None, dry_run: bool, at: dt.datetime
) -> tuple[StageResult, bool]:
    runner = _alert_runner()  # the actions feature is optional: without it, no CTAs
    if runner is None:
        return StageResult(
            "alerts", "skipped", "no rules engine installed (healthscore.actions)"
        ), False
    if dry_run:
        return StageResult("alerts", "dry-run", f"would run the rules as of {as_of}"), False
    params = inspect.signature(runner).parameters
    kwargs: dict[str, Any] = {}
    if "as_of" in params:
        kwargs["as_of"] = as_of
    if "rules" in params:
        kwargs["rules"] = rules
    if "at" in params:
        kwargs["at"] = at
    result = runner(store, **kwargs)
    got = result.as_dict() if hasattr(result, "as_dict") else dict(result or {})
    errors = list(got.get("errors") or [])
    parts = [
        f"{k} {got[k]}"
        for k in ("fired", "opened", "updated", "resolved", "deferred", "closed")
        if got.get(k)
    ]
    summary = ", ".join(parts) or "no CTA changed"
    if errors:
        summary += f"; {len(errors)} rules failed: " + "; ".join(str(e) for e in errors[:3])
    return StageResult("alerts", "ok", summary, {"result": got}), bool(errors)


def _notify(
    store: Store,
    channels: Channels | None,
    as_of: dt.date,
    day: dt.date,
    now: Callable[[], dt.datetime],
    dry_run: bool,
) -> tuple[StageResult, int]:
    if channels is None:
        return StageResult("notify", "skipped", "no channel file (the notifications setting)"), 0
    if dry_run:
        contents, _ = digest_contents(store, as_of, day, channels)
        owners = sorted(o or "(no owner)" for o, c in contents.items() if any(c.values()))
        period = period_of(day, channels.digest.every_days)
        return (
            StageResult(
                "notify",
                "dry-run",
                f"digests for {period} would go to {len(owners)} owners: {', '.join(owners) or 'none'}",
            ),
            0,
        )
    digests = build_digests(store, channels, as_of=as_of, day=day, now=now())
    sent = deliver(store, channels, now=now)
    parts = [f"{len(digests.queued)} digests queued"]
    if digests.already:
        parts.append(f"{len(digests.already)} already sent for {digests.period}")
    parts.append(f"{sent.sent} delivered")
    if sent.retrying:
        parts.append(f"{sent.retrying} to retry")
    if sent.dead:
        parts.append(f"{sent.dead} gave up")
    missing = sorted(set(sent.no_recipient) | set(digests.no_recipient))
    if missing:
        parts.append(f"no recipient for {', '.join(missing)}")
    detail = {"digests": digests.queued, "delivery": sent.as_dict()}
    return StageResult("notify", "ok", "; ".join(parts), detail), sent.dead


def run_daily(
    store: Store,
    *,
    day: dt.date,
    as_of: dt.date | None = None,
    scorecard: Any = None,
    engine: Any = None,
    channels: Channels | None = None,
    load_channels: Callable[[], Channels | None] | None = None,
    rules: Path | None = None,
    watch: Path | None = None,
    dry_run: bool = False,
    now: Callable[[], dt.datetime] = utc_now,
) -> DailyReport:
    """Run the daily job on `day` (the calendar day; `as_of` the scoring date, default the
    newest data).  Returns the report; raises `DailyFailed` (with the report so far) when a
    stage fails.  `load_channels` reads the channel file lazily, so an invalid one fails
    the notify stage only, after scores and CTAs are kept."""
    report = DailyReport(day=day, as_of=as_of, dry_run=dry_run)

    def stage(name: str, code: int, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except HealthscoreError as exc:
            report.stages.append(StageResult(name, "failed", str(exc).splitlines()[0]))
            report.exit_code = code
            raise DailyFailed(f"daily job stopped at {name}: {exc}", code, report) from exc
        except Exception as exc:
            # A bug, not a user mistake; a scheduler still needs the stage's exit code, and
            # cron mail one line rather than a traceback.
            what = f"{type(exc).__name__}: {exc}"
            report.stages.append(StageResult(name, "failed", f"unexpected error: {what}"))
            report.exit_code = code
            raise DailyFailed(
                f"daily job stopped at {name}: unexpected error ({what}); this is a bug in "
                "healthscore, please report it with the command that failed",
                code,
                report,
            ) from exc

    if watch is not None:
        report.stages.append(stage("import", EXIT_IMPORT, lambda: _import(store, watch, dry_run)))
    if dry_run:
        from healthscore.store.queries.scores import snapshot_dates

        dates = [d for d in snapshot_dates(store) if as_of is None or d <= as_of]
        report.as_of = as_of or (dates[-1] if dates else None)
        report.stages.append(
            StageResult("score", "dry-run", f"would score as of {as_of or 'the newest data'}")
        )
    else:
        result, report.as_of = stage(
            "score", EXIT_SCORE, lambda: _score(store, as_of, scorecard, engine, day)
        )
        report.stages.append(result)
    scored = report.as_of or day
    alerts, rules_failed = stage(
        "alerts", EXIT_ALERTS, lambda: _alerts(store, scored, rules, dry_run, now())
    )
    report.stages.append(alerts)

    def notify() -> tuple[StageResult, int]:
        chosen = channels if channels is not None else (load_channels() if load_channels else None)
        return _notify(store, chosen, scored, day, now, dry_run)

    result, dead = stage("notify", EXIT_NOTIFY, notify)
    report.stages.append(result)
    if dead:
        report.exit_code = EXIT_DELIVERY_GAVE_UP
    elif rules_failed:
        report.exit_code = EXIT_RULES_FAILED
    return report
