"""Why an account has its score: groups, measures, and what changed since the last snapshot.

A score nobody can explain is a score nobody acts on, so every number is traceable to a raw
value with its unit, and changes are ranked by how many points they moved.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from healthscore.errors import HealthscoreError, NotEnoughData
from healthscore.metrics.families.sentiment import INTENT_DAYS
from healthscore.portfolio.lifetime import AccountLifetimes, account_lifetimes
from healthscore.singleflight import SingleFlight
from healthscore.store import Store
from healthscore.store.queries import accounts as account_queries
from healthscore.store.queries import scores as score_queries
from healthscore.store.queries import texts as text_queries
from healthscore.store.queries._backend import has_table
from healthscore.store.queries.kpis import account_attributes

__all__ = ["Change", "Explanation", "SharedReads", "explain", "format_value"]


def format_value(value: float | None, unit: str | None) -> str:
    """A raw metric value with its catalogue unit, the way a CSM would say it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    u = (unit or "").strip().lower()
    v = float(value)

    def num(x: float) -> str:
        if abs(x) >= 100 or float(x).is_integer():
            return f"{x:,.0f}"
        return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2g}" if abs(x) < 1 else f"{x:.1f}"

    if u in {"hours", "hour", "h"}:
        return f"{num(v)} h"
    if u in {"days", "day", "d"}:
        return f"{num(v)} d"
    if u in {"share", "ratio", "fraction", "rate", "proportion", "0-1"}:
        return f"{v * 100:.0f}%"
    if u in {"percent", "%", "pct"}:
        return f"{v:.0f}%"
    if u in {"", "count", "number", "n", "score", "points", "value"}:
        return num(v)
    if u == "flag":
        return "yes" if v >= 0.5 else "no"
    if u in {"currency", "usd", "$", "money", "amount"}:
        return f"{v:,.0f}"
    if v == 1 and unit and unit.endswith("s") and "/" not in unit:
        return f"1 {unit[:-1]}"  # 1 ticket, 1 attempt
    return f"{num(v)} {unit}"


@dataclass
class Change:
    """One group's move since the previous snapshot, with the measure that drove it."""

    group: str
    points: float
    measure: str | None
    text: str


@dataclass
class Explanation:
    account_id: str
    as_of: dt.date
    score: float | None
    band: str | None
    confidence: str
    coverage: float
    confidence_note: str
    scorecard_version: str
    account: dict[str, Any]
    groups: list[dict[str, Any]]
    previous_as_of: dt.date | None = None
    previous_score: float | None = None
    changes: list[Change] = field(default_factory=list)
    # mrr, expected_lifetime_months, lifetime_source, cltv, monthly_churn_rate as of `as_of`
    lifetime: dict[str, Any] = field(default_factory=dict)
    # What customers said (from the text analysis): sentiment per month, the most negative
    # and most positive recent quotes, and flagged cancellation or competitor intent.
    voice: dict[str, Any] = field(default_factory=dict)

    def voice_lines(self) -> list[str]:
        """The voice of the customer as plain lines for a terminal (user text: no markup)."""
        v = self.voice
        if not v or not v.get("months"):
            return []
        lines = ["What customers said (text sentiment -1 to 1, per month):"]
        lines.append(
            "  "
            + "  ".join(
                f"{m['month']} {m['avg_score']:+.2f} ({m['texts']})" for m in v["months"][-6:]
            )
        )
        for flag in v.get("intent", []):
            lines.append(
                f"  FLAG {flag['kind']} intent, {flag['source']} {flag['date']}: "
                f"\u201c{flag['evidence']}\u201d (until {flag['expires_on']} unless repeated)"
            )
        for side in ("negative", "positive"):
            for q in v.get("quotes", {}).get(side, []):
                lines.append(
                    f"  {'-' if side == 'negative' else '+'} \u201c{q['evidence']}\u201d "
                    f"({q['source']}, {q['date']}, {q['score']:+.2f})"
                )
        return lines

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["as_of"] = self.as_of.isoformat()
        d["previous_as_of"] = self.previous_as_of.isoformat() if self.previous_as_of else None
        d["changes"] = [c.__dict__ for c in self.changes]
        return _clean(d)


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dt.date):
        return x.isoformat()
    return x


def _f(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _keep_64_days(values: dict[Any, Any], key: Any) -> None:
    """Lifetimes (keyed by a tuple with their day) of at most 64 days are kept."""
    days = [k for k in values if isinstance(k, tuple)]
    for old in days[: max(0, len(days) - 63)]:
        values.pop(old)


class SharedReads:
    """The portfolio-wide reads behind every explanation, done once and then shared.

    The metric catalogue's units, every account's newest snapshot day and score history,
    and every account's lifetime as of a day (its CLTV needs the pooled churn of the whole
    subscription book) are the same for all accounts of one store, and reading them is
    most of the cost of one explanation.  The caller keeps one of these for as long as the
    store is unchanged (the web server: per store stamp) and passes it to `explain`; a new
    object after any write, so nothing stale is shown.  Thread-safe, one computation per
    item: the first caller reads it while others wanting the same item wait, and callers
    wanting an item already read (or another one) do not wait for it.
    """

    def __init__(self) -> None:
        self._values: SingleFlight[Any, Any] = SingleFlight(_keep_64_days)

    def _get(self, key: Any, compute: Any) -> Any:
        return self._values.get(key, compute)

    def units(self, store: Store) -> dict[str, str | None]:
        """metric -> unit, from the store's metric catalogue."""
        return self._get("units", lambda: _units(store))  # type: ignore[no-any-return]

    def latest_day(self, store: Store, account_id: str) -> dt.date | None:
        """The account's newest snapshot date (one grouped read for every account)."""
        latest = self._get("latest", lambda: score_queries.latest_snapshot_dates(store))
        return latest.get(account_id)  # type: ignore[no-any-return]

    def score_series(self, store: Store, account_id: str) -> list[dict[str, Any]]:
        """(as_of, score, band, scorecard_version) of every snapshot of the account, oldest
        first: a slice of one read of all snapshots (a few MB of columns per store version)
        instead of a scan of the whole snapshot table per page."""

        def read() -> tuple[Any, dict[str, tuple[int, int]]]:
            table = score_queries.all_score_series(store)
            spans: dict[str, tuple[int, int]] = {}
            for i, aid in enumerate(table.column("account_id").to_pylist()):
                first = spans.get(aid)
                spans[aid] = (i if first is None else first[0], i + 1)
            return table.drop_columns(["account_id"]), spans

        table, spans = self._get("series", read)
        lo, hi = spans.get(account_id, (0, 0))
        return table.slice(lo, hi - lo).to_pylist()  # type: ignore[no-any-return]

    def lifetimes(self, store: Store, day: dt.date) -> AccountLifetimes:
        """Every account's MRR, lifetime and CLTV as of `day` (up to 64 days kept)."""

        def read() -> AccountLifetimes:
            ids = account_attributes(store)["account_id"].astype(str).tolist()
            return account_lifetimes(store, ids, day)

        return self._get(("lifetimes", day), read)  # type: ignore[no-any-return]


def _snapshot_date(
    store: Store, account_id: str, as_of: dt.date | None, shared: SharedReads | None = None
) -> dt.date:
    if as_of is None and shared is not None:
        day = shared.latest_day(store, account_id)
    else:
        day = score_queries.latest_snapshot_date(store, account_id, as_of)
    if day is None:
        if not account_queries.account_exists(store, account_id):
            raise HealthscoreError(
                f"no account {account_id!r} in the store; the account list shows the ids and names"
            )
        when = f" on or before {as_of}" if as_of else ""
        raise NotEnoughData(
            f"account {account_id!r} has no stored score{when}; score "
            f"{as_of.isoformat() if as_of else 'the store'} first"
        )
    return day


def explain(
    store: Store,
    account_id: str,
    as_of: dt.date | None = None,
    units: dict[str, str | None] | None = None,
    shared: SharedReads | None = None,
) -> Explanation:
    """Explain the stored snapshot of `account_id` on `as_of` (default: its latest).

    `account_id` may also be the account's name (any case).  `units` maps metric -> unit
    for formatting (default: from the metric catalogue).  `shared` holds portfolio-wide
    reads kept from earlier explanations of the same, unchanged store (see `SharedReads`).
    """
    account_id = account_queries.find_account(store, account_id) or account_id
    day = _snapshot_date(store, account_id, as_of, shared)
    snap = score_queries.account_snapshot(store, account_id, day)
    assert snap is not None
    account = account_queries.account_profile(store, account_id)
    if units is None:
        units = shared.units(store) if shared is not None else _units(store)

    groups_df = score_queries.group_rows(store, account_id, day)
    meas = score_queries.measure_rows(store, account_id, day)
    groups = []
    for g in groups_df.itertuples(index=False):
        rows = meas[meas["group_name"] == g.group_name]
        groups.append(
            {
                "group": g.group_name,
                "score": _f(g.score),
                "weight": _f(g.weight),
                "effective_weight": _f(g.effective_weight),
                "contribution": _f(g.contribution),
                "measures": [
                    {
                        "measure": r.measure,
                        "metric": r.metric,
                        "raw_value": _f(r.raw_value),
                        "raw": format_value(_f(r.raw_value), units.get(r.metric)),
                        "normalized": _f(r.normalized),
                        "weight": _f(r.weight),
                        "effective_weight": _f(r.effective_weight),
                        "contribution": _f(r.contribution),
                        "status": r.status,
                    }
                    for r in rows.itertuples(index=False)
                ],
            }
        )
    groups.sort(key=lambda g: -(g["contribution"] or 0.0))

    out = Explanation(
        account_id=account_id,
        as_of=day,
        score=_f(snap["score"]),
        band=snap["band"],
        confidence=snap["confidence"],
        coverage=float(snap["coverage"] or 0.0),
        confidence_note=snap["confidence_note"] or "",
        scorecard_version=snap["scorecard_version"],
        account=_clean(account),
        groups=groups,
        lifetime=_lifetime(store, account_id, day, shared),
        voice=_voice(store, account_id, day),
    )
    prev = score_queries.previous_score(store, account_id, day)
    if prev is not None:
        out.previous_as_of, out.previous_score = prev.as_of, _f(prev.score)
        out.changes = _changes(groups_df, meas, store, account_id, prev.as_of, units)
    return out


def _lifetime(
    store: Store, account_id: str, day: dt.date, shared: SharedReads | None = None
) -> dict[str, Any]:
    """The account's CLTV as of the snapshot: MRR x the churn-rate lifetime (no model is
    trained to explain one account; `predict` uses the survival model's where it has one)."""
    lt = shared.lifetimes(store, day) if shared is not None else None
    if lt is None or account_id not in lt.frame.index:
        lt = account_lifetimes(store, [account_id], day)
        row = lt.frame.iloc[0]
    else:
        row = lt.frame.loc[account_id]
    return _clean(
        {
            "mrr": _f(row["mrr"]),
            "expected_lifetime_months": _f(row["expected_lifetime_months"]),
            "lifetime_source": row["lifetime_source"],
            "cltv": _f(row["cltv"]),
            "monthly_churn_rate": lt.monthly_churn_rate,
        }
    )


_SOURCE_NAME = {"surveys": "survey", "tickets": "ticket", "interactions": "CSM note",
                "judgements": "CSM judgement"}  # fmt: skip


def _voice(store: Store, account_id: str, day: dt.date, months: int = 12) -> dict[str, Any]:
    """Sentiment per month over the year up to the snapshot, recent quotes, intent flags."""
    if not has_table(store, "text_analysis"):
        return {}
    hist = text_queries.sentiment_history(store, account_id, as_of=day)
    if hist.empty:
        return {}
    when = pd.to_datetime(hist["occurred_at"])
    first = (pd.Timestamp(day) - pd.DateOffset(months=months - 1)).to_period("M")
    hist = hist.assign(month=when.dt.to_period("M"))
    hist = hist[hist["month"] >= first]
    by = hist.groupby("month").agg(
        texts=("score", "size"),
        avg_score=("score", "mean"),
        negative=("label", lambda s: int((s == "negative").sum())),
    )
    month_rows = [
        {"month": str(m), "texts": int(r.texts), "avg_score": round(float(r.avg_score), 3),
         "negative": int(r.negative)}
        for m, r in by.iterrows()
    ]  # fmt: skip

    def source(src: Any, detail: Any) -> str:
        name = _SOURCE_NAME.get(str(src), str(src))
        return f"{detail.upper()} {name}" if src == "surveys" and isinstance(detail, str) else name

    q = text_queries.account_quotes(store, account_id, limit=3, as_of=day, days=180)
    quotes: dict[str, list[dict[str, Any]]] = {"negative": [], "positive": []}
    for r in q.itertuples(index=False):
        quotes[str(r.side)].append(
            {"evidence": r.evidence, "source": source(r.source, r.detail),
             "date": pd.Timestamp(r.occurred_at).date().isoformat(), "score": _f(r.score),
             "text_id": r.text_id}
        )  # fmt: skip
    flags = text_queries.intent_flags(store, day, decay_days=INTENT_DAYS, accounts=[account_id])
    intent = [
        {"kind": r.kind, "source": source(r.source, r.detail),
         "date": pd.Timestamp(r.occurred_at).date().isoformat(), "evidence": r.evidence,
         "mentions": int(r.mentions), "expires_on": r.expires_on.isoformat()}
        for r in flags.itertuples(index=False)
    ]  # fmt: skip
    return {"months": month_rows, "quotes": quotes, "intent": intent}


def _units(store: Store) -> dict[str, str | None]:
    try:
        from healthscore.scoring.run import catalog

        return {k: getattr(v, "unit", None) for k, v in catalog(store).items()}
    except HealthscoreError:
        return {}


def _changes(
    groups_now: pd.DataFrame,
    meas_now: pd.DataFrame,
    store: Store,
    account_id: str,
    prev_day: dt.date,
    units: dict[str, str | None],
) -> list[Change]:
    """Group contribution deltas, ranked by impact, each with its biggest measure mover."""
    groups_prev = score_queries.group_rows(store, account_id, prev_day)[
        ["group_name", "score", "contribution"]
    ]
    meas_prev = score_queries.measure_rows(store, account_id, prev_day)
    g = groups_now[["group_name", "score", "contribution"]].merge(
        groups_prev, on="group_name", how="outer", suffixes=("", "_prev")
    )
    g["delta"] = g["contribution"].fillna(0.0) - g["contribution_prev"].fillna(0.0)
    m = meas_now[["group_name", "measure", "metric", "raw_value", "contribution", "status"]].merge(
        meas_prev[["group_name", "measure", "raw_value", "contribution"]],
        on=["group_name", "measure"],
        how="outer",
        suffixes=("", "_prev"),
    )
    m["delta"] = m["contribution"].fillna(0.0) - m["contribution_prev"].fillna(0.0)
    out = []
    for row in g.itertuples(index=False):
        if abs(row.delta) < 0.05:
            continue
        mm = m[m["group_name"] == row.group_name]
        text = f"{row.group_name} {_signed(row.delta)}"
        driver = None
        if not mm.empty:
            # The measure whose raw value moved the group most; ties go to the larger raw move.
            best = mm.loc[mm["delta"].abs().idxmax()]
            driver = str(best["measure"])
            unit = units.get(str(best["metric"])) if pd.notna(best["metric"]) else None
            now, before = _f(best["raw_value"]), _f(best["raw_value_prev"])
            if before is None and now is not None:
                text += f": {driver} now has data ({format_value(now, unit)})"
            elif now is None and before is not None:
                text += f": {driver} has no data any more (was {format_value(before, unit)})"
            elif now is not None and before is not None and now != before:
                verb = "rose" if now > before else "fell"
                was, is_ = format_value(before, unit), format_value(now, unit)
                text += f": {driver} {verb} from {was} to {is_}"
            elif now is not None and best["status"] in ("decayed", "stale"):
                shown = format_value(now, unit)
                text += f": {driver} unchanged at {shown} but ageing (its weight decays)"
            elif now is not None:
                text += f": {driver} unchanged at {format_value(now, unit)} but re-weighted"
        moved = _f(row.score) is not None and _f(row.score_prev) is not None
        if (
            moved
            and (row.score - row.score_prev) * row.delta < 0
            and abs(row.score - row.score_prev) >= 0.5
        ):
            # The group itself moved the other way: its share of the score changed because
            # other groups gained or lost data (re-weighting), which is worth saying.
            way = "rose" if row.score > row.score_prev else "fell"
            text += f" (the group's own score {way}; its share of the score changed)"
        out.append(Change(str(row.group_name), round(float(row.delta), 2), driver, text))
    out.sort(key=lambda c: -abs(c.points))
    return out


def _signed(x: float) -> str:
    return (
        f"+{x:.0f}"
        if x >= 0.5
        else (f"−{abs(x):.0f}" if x <= -0.5 else f"{x:+.1f}".replace("-", "−"))
    )
