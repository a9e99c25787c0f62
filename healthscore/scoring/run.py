"""Score a store: metrics -> scores -> history, for one date or a set-based backfill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from healthscore.errors import HealthscoreError, NotEnoughData
from healthscore.scoring.engine import ScoreFrames, score_frame
from healthscore.scoring.history import data_date_range, write_scores
from healthscore.scoring.model import Scorecard, load_scorecard
from healthscore.store import Store
from healthscore.store.migrations_actions import METRIC_HISTORY_COLUMNS
from healthscore.store.queries.accounts import account_segments

__all__ = [
    "ScoreRun",
    "backfill",
    "backfill_dates",
    "catalog",
    "compute_scores",
    "custom_metrics",
    "default_as_of",
    "resolve_scorecard",
    "score",
    "segments_of",
]

Progress = Callable[[int, int], None]


@dataclass
class ScoreRun:
    """What a scoring run wrote: dates, accounts scored, band counts, scorecard version."""

    scorecard_version: str
    dates: list[dt.date]
    accounts_scored: int
    accounts_unscored: int
    bands: dict[str, int]
    skipped_dates: list[dt.date] = field(default_factory=list)
    # Days from the newest data in the store to the last date scored (0: data reaches it).
    data_lag_days: int = 0
    # The scores themselves: all dates for `score`; the last chunk of dates for a backfill.
    frames: ScoreFrames | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scorecard_version": self.scorecard_version,
            "dates": [d.isoformat() for d in self.dates],
            "accounts_scored": self.accounts_scored,
            "accounts_unscored": self.accounts_unscored,
            "bands": self.bands,
            "skipped_dates": [d.isoformat() for d in self.skipped_dates],
            "data_lag_days": self.data_lag_days,
        }


def resolve_scorecard(scorecard: Scorecard | str | Any | None) -> Scorecard:
    """A Scorecard object, a path, or None (the shipped default)."""
    if isinstance(scorecard, Scorecard):
        return scorecard
    return load_scorecard(scorecard)


def _metrics_module() -> Any:
    try:
        import healthscore.metrics as m

        m.compute_metrics  # noqa: B018
    except (ImportError, AttributeError):
        raise HealthscoreError(
            "the metrics engine (healthscore.metrics.compute_metrics) is not available "
            "in this build"
        ) from None
    return m


def _backend(store: Store, engine: Any) -> Any:
    """The Ibis backend metrics run on: the store itself, or an engine URL / backend given."""
    if engine is None or engine == "duckdb":
        return store.ibis()
    if isinstance(engine, str):
        return _metrics_module().connect_engine(engine, store)
    return engine


def catalog(store: Store, engine: Any = None, custom: list[Any] | None = None) -> dict[str, Any]:
    """metric name -> MetricInfo for this store (custom metrics included)."""
    m = _metrics_module()
    infos = m.metric_catalog(_backend(store, engine), custom=custom)
    return {info.name: info for info in infos}


def segments_of(store: Store) -> dict[str, str | None]:
    """account_id -> segment, the peer groups of percentile and z-score measures."""
    return account_segments(store)


def custom_metrics(card: Scorecard) -> list[Any] | None:
    """The scorecard's custom metrics as the metrics engine's CustomMetric objects.

    Errors are re-raised with the scorecard file and the line of the offending entry.
    """
    if not card.custom_metrics:
        return None
    from healthscore.errors import InvalidScorecard

    model = _metrics_module().CustomMetric
    out = []
    for i, spec in enumerate(card.custom_metrics):
        try:
            out.append(model.parse(spec))
        except InvalidScorecard as exc:
            line = card.line_of(("custom_metrics", i))
            where = f"{card.file} line {line}" if line else card.file
            raise InvalidScorecard(f"{where}, custom_metrics[{i}]: {exc}") from None
    return out


def _today() -> dt.date:
    """The later of the local and the UTC date (stored times are UTC), so a date that has
    begun in either is allowed; adapters pass their App's clock instead."""
    return max(dt.date.today(), dt.datetime.now(dt.UTC).date())


def _refuse_future(dates: Sequence[dt.date], today: dt.date | None = None) -> None:
    """Refuse dates after today: with no data yet, every account would read as silent."""
    today = today or _today()
    future = [d for d in dates if d > today]
    if future:
        raise HealthscoreError(
            f"{future[0]} is in the future (today is {today}); a score reads only data up to "
            "its date, so every account would look inactive. Score a date up to today."
        )


def _lag(span: tuple[dt.date, dt.date], day: dt.date) -> int:
    """Days from the store's newest signal to `day` (0 when data reaches it)."""
    return max((day - span[1]).days, 0)


def _data_span(store: Store) -> tuple[dt.date, dt.date]:
    """First and last day of data; read once per run (it scans every signal table)."""
    rng = data_date_range(store)
    if rng is None:
        raise NotEnoughData(
            "the store holds no data to score; import some (`healthscore import`) "
            "or build the demo (`healthscore demo`)"
        )
    return rng


def default_as_of(
    store: Store, today: dt.date | None = None, span: tuple[dt.date, dt.date] | None = None
) -> dt.date:
    """The last day with data (capped at today): scoring 'now' on a historical store works."""
    return min((span or _data_span(store))[1], today or _today())


def compute_scores(
    store: Store,
    dates: Sequence[dt.date],
    scorecard: Scorecard | str | None = None,
    engine: Any = None,
    *,
    span: tuple[dt.date, dt.date] | None = None,
) -> tuple[ScoreFrames, list[dt.date]]:
    """Score `dates` in memory (nothing written); returns the frames and dates with no accounts.

    All dates go to the metrics engine in one call: it is set-based, so a 52-date backfill
    costs about one query, not 52.
    """
    card = resolve_scorecard(scorecard)
    scored = score_chunks(store, dates, card, engine, chunks=1, span=span)
    frames = next(scored.chunks)
    return frames, scored.empty


# A backfill computes metrics for at most this many (account, date) rows per call: one call
# covers 12 weekly dates at 100k accounts (6.4 GB peak measured), a year of them five calls.
METRIC_ROWS_PER_CALL = 1_250_000
# ... and scores at most this many account-dates at once (about 1.4 GB of measure rows).
SCORE_ROWS_PER_CHUNK = 100_000


@dataclass
class ScoreChunks:
    """Scores of many dates, produced a few dates at a time (see `score_chunks`)."""

    dates: list[dt.date]
    # Dates on which no account existed; complete once `chunks` is exhausted.
    empty: list[dt.date]
    chunks: Iterator[ScoreFrames]


def score_chunks(
    store: Store,
    dates: Sequence[dt.date],
    card: Scorecard,
    engine: Any = None,
    *,
    chunks: int = 20,
    max_rows: int | None = None,
    span: tuple[dt.date, dt.date] | None = None,
) -> ScoreChunks:
    """Metrics in as few set-based calls as memory allows (one call unless accounts x dates
    exceeds `max_rows`), then the scorecard over about `chunks` groups of dates (with
    `max_rows`, also at most SCORE_ROWS_PER_CHUNK account-dates each), one group at a time:
    the metric and per-measure rows of a large backfill never all exist at once.
    Exact, because scoring compares accounts only within a date (percentile and z-score
    peers are per date and segment). `span` is the store's data range when the caller has
    read it already."""
    dates = sorted(set(dates))
    rng = span or _data_span(store)
    custom = custom_metrics(card)
    cat = catalog(store, engine, custom)
    card.check_metrics(cat)
    m = _metrics_module()
    backend = _backend(store, engine)
    directions = {name: getattr(info, "direction", None) for name, info in cat.items()}
    segments = segments_of(store)
    per_call = len(dates)
    step = max(1, -(-len(dates) // max(1, chunks)))
    if max_rows and (n_accounts := store.count("accounts")):
        per_call = max(1, max_rows // n_accounts)
        step = min(step, max(1, SCORE_ROWS_PER_CHUNK // n_accounts))
    empty: list[dt.date] = []

    def produce() -> Iterator[ScoreFrames]:
        found = False
        for i in range(0, len(dates), per_call):
            block = dates[i : i + per_call]
            frame = m.compute_metrics(backend, block, custom=custom)
            present = set(frame["as_of"].unique())
            empty.extend(d for d in block if d not in present)
            have = [d for d in block if d in present]
            found = found or bool(have)
            for j in range(0, len(have), step):
                chunk = set(have[j : j + step])
                # One chunk of all dates (a snapshot): score the frame itself, not a copy.
                part = frame if len(chunk) == len(present) else frame[frame["as_of"].isin(chunk)]
                scored = score_frame(part, card, segments, directions)
                kept = [c for c in ("as_of", "account_id", *METRIC_HISTORY_COLUMNS) if c in part]
                scored.metrics = part[kept]
                yield scored
            del frame
        if not found:
            when = dates[0].isoformat() if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
            raise NotEnoughData(
                f"no account existed on {when}; the store's data runs from {rng[0]} to {rng[1]}"
            )

    return ScoreChunks(dates, empty, produce())


def _summary(
    card: Scorecard,
    frames: ScoreFrames,
    dates: list[dt.date],
    skipped: list[dt.date],
    lag: int = 0,
) -> ScoreRun:
    last = frames.snapshots[frames.snapshots["as_of"] == max(dates)] if dates else frames.snapshots
    bands = {b.name: int((last["band"] == b.name).sum()) for b in card.bands}
    return ScoreRun(
        scorecard_version=card.stored_version,
        dates=dates,
        accounts_scored=int(last["score"].notna().sum()),
        accounts_unscored=int(last["score"].isna().sum()),
        bands=bands,
        skipped_dates=skipped,
        data_lag_days=lag,
        frames=frames,
    )


def score(
    store: Store,
    as_of: dt.date | None = None,
    scorecard: Scorecard | str | None = None,
    engine: Any = None,
    *,
    today: dt.date | None = None,
) -> ScoreRun:
    """Score every active account as of `as_of` (default: last data day) and store the snapshot.

    An existing snapshot for that date is replaced atomically. `today` (default: the system
    clock) bounds the dates that may be scored.
    """
    card = resolve_scorecard(scorecard)
    span = _data_span(store)
    day = as_of or default_as_of(store, today, span)
    _refuse_future([day], today)
    frames, _ = compute_scores(store, [day], card, engine, span=span)
    write_scores(store, frames, card, [day])
    return _summary(card, frames, [day], [], _lag(span, day))


def backfill_dates(start: dt.date, end: dt.date, every_days: int = 7) -> list[dt.date]:
    """start, start+every, ... up to and including end (end always included)."""
    if every_days < 1:
        raise ValueError("every_days must be >= 1")
    if end < start:
        raise HealthscoreError(f"backfill range is empty: {start} is after {end}")
    days = []
    d = start
    while d <= end:
        days.append(d)
        d += dt.timedelta(days=every_days)
    if days[-1] != end:
        days.append(end)
    return days


def backfill(
    store: Store,
    start: dt.date,
    end: dt.date,
    every_days: int = 7,
    scorecard: Scorecard | str | None = None,
    engine: Any = None,
    progress: Progress | None = None,
    *,
    today: dt.date | None = None,
) -> ScoreRun:
    """Score start..end every `every_days` days in one metrics call and store each snapshot.

    Dates before any account existed are skipped (and reported), not stored empty.
    """
    card = resolve_scorecard(scorecard)
    days = backfill_dates(start, end, every_days)
    _refuse_future(days, today)
    # ~20 chunks of dates, each scored and written in one transaction: every snapshot stays
    # atomic, the progress bar moves, and memory holds one chunk's measure rows at a time.
    span = _data_span(store)
    run = score_chunks(
        store, days, card, engine, chunks=20, max_rows=METRIC_ROWS_PER_CALL, span=span
    )
    last, scored = None, []
    for frames in run.chunks:
        chunk = sorted(set(frames.snapshots["as_of"]))
        if chunk:
            write_scores(store, frames, card, chunk)
            last = frames
        scored += chunk
        if progress is not None:
            progress(len(scored) + len(run.empty), len(run.dates))
    # Dates with accounts but none active are skipped like dates with no account at all.
    empty = sorted({*run.empty, *(d for d in run.dates if d not in set(scored))})
    if last is None:
        raise NotEnoughData(f"no active account to score between {start} and {end}")
    return _summary(card, last, scored, empty, _lag(span, max(scored)))
