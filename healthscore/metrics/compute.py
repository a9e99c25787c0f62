"""compute_metrics: the whole metric set for many as-of dates, set-based, in Ibis.

The engines (DuckDB, PostgreSQL, Spark) do every scan and aggregation; each family returns
one row per (as_of, account) or per (account, segment) group, which numpy places into one
table by integer codes (see _columns and _usage) and derives ratios from elementwise.  No
Python loop runs over accounts or over dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from healthscore.errors import NotEnoughData
from healthscore.metrics._columns import Columns, Dense, take
from healthscore.metrics._context import Context, read_context
from healthscore.metrics._plan import (
    CONSISTENCY_WEEKS,
    Plan,
    day_number,
    make_plan,
)
from healthscore.metrics._usage import usage_family
from healthscore.metrics.catalog import DEFAULT_WINDOWS, MetricInfo, build_catalog

__all__ = ["compute_metrics", "metric_catalog", "metric_sql"]

KEY = ["as_of", "account_id"]


def metric_catalog(
    backend: Any, windows: Sequence[int] = DEFAULT_WINDOWS, custom: Sequence[Any] | None = None
) -> list[MetricInfo]:
    """Every metric compute_metrics would return for this store (dynamic ones included)."""
    from healthscore.metrics.custom import validate_custom

    custom = validate_custom(custom or [])
    return build_catalog(read_context(backend), windows, custom)


def compute_metrics(
    backend: Any,
    as_of_dates: Sequence[dt.date],
    *,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    custom: Sequence[Any] | None = None,
    accounts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (as_of, existing account): as_of, account_id, is_active, then each metric."""
    from healthscore.metrics.custom import compute_custom, validate_custom

    if not as_of_dates:
        raise NotEnoughData("compute_metrics needs at least one as_of date")
    if any(int(w) <= 0 for w in windows):
        raise ValueError(f"windows must be positive day counts, got {list(windows)}")
    custom_list = validate_custom(custom or [])
    ctx = read_context(backend)
    extra = [k * c.window_days for c in custom_list if c.window_days for k in (1, 2)]
    plan = make_plan(as_of_dates, windows, extra)
    run = _Run(backend, ctx, plan, list(accounts) if accounts is not None else None)
    catalog = build_catalog(ctx, plan.windows, custom_list)

    frame = run.base(run.usage())
    for family in (
        run.support,
        run.voice,
        run.relationship,
        run.goals,
        run.financial,
        run.advocacy,
    ):
        frame.attach(family())
    _derive(frame, ctx, plan)
    if custom_list:
        compute_custom(run, frame, custom_list)
    return frame.output(["is_active", *(m.name for m in catalog)])


FAMILIES = ("usage", "base", "support", "voice", "relationship", "goals", "financial", "advocacy")


def metric_sql(
    backend: Any,
    as_of_dates: Sequence[dt.date],
    *,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    dialect: str | None = None,
) -> dict[str, str]:
    """The SQL each metric family runs (memtable/cache names made stable), for review and
    snapshot tests: a changed metric definition shows up as a readable SQL diff."""
    import re

    ctx = read_context(backend)
    run = _Run(backend, ctx, make_plan(as_of_dates, windows), None)
    run.recorded = []
    usage = None
    for family in FAMILIES:
        run.family = family
        if family == "base":
            run.base(usage)
        elif family == "usage":
            usage = run.usage()
        else:
            getattr(run, family)()
    out: dict[str, list[str]] = {}
    for family, expr in run.recorded:
        sql = str(ibis.to_sql(expr, dialect=dialect or backend.name))
        names: dict[str, str] = {}

        def stable(m: re.Match[str], names: dict[str, str] = names) -> str:
            return names.setdefault(m.group(0), f"memtable_{len(names) + 1}")

        sql = re.sub(r"ibis_[a-z]+_memtable_[a-z0-9]+", stable, sql)
        out.setdefault(family, []).append(sql.strip())
    return {f: "\n\n-- next query\n\n".join(qs) + "\n" for f, qs in out.items()}


def _as_dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.date


def _fetch(backend: Any, expr: Any) -> pd.DataFrame:
    df = backend.execute(expr)
    if "as_of" in df.columns:
        df["as_of"] = _as_dates(df["as_of"])
    return df


def _day_n(ts: pd.Series) -> pd.Series:
    """Day number (days since 1970) of timestamps/dates fetched from an engine."""
    t = pd.to_datetime(ts)
    return (t.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days.astype("float64")


def _num(s: pd.Series, fill: float | None = None) -> pd.Series:
    """A float column (an all-NULL aggregate arrives as object dtype)."""
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    return out if fill is None else out.fillna(fill)


def _pct_change(cur: pd.Series, prev: pd.Series) -> pd.Series:
    """(cur - prev) / prev in %, NaN when there is no previous level to compare with."""
    prev = prev.astype("float64")
    return ((cur - prev) / prev.where(prev != 0)) * 100.0


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.astype("float64")
    return a.astype("float64") / b.where(b != 0)


class _Run:
    """One metric run: the backend, the store shape and the time plan."""

    def __init__(self, backend: Any, ctx: Context, plan: Plan, accounts: list[str] | None):
        self.backend = backend
        # metric_sql() records every query per family, for the SQL snapshot tests.
        self.recorded: list[tuple[str, Any]] | None = None
        self.family = ""
        self.ctx = ctx
        self.plan = plan
        self.accounts = accounts
        self.dates = ibis.memtable(plan.dates_table())

    def table(self, name: str) -> Any:
        t = self.backend.table(name)
        if self.accounts is not None:
            t = t.filter(t.account_id.isin(self.accounts))
        return t

    def fetch(self, expr: Any) -> pd.DataFrame:
        if self.recorded is not None:
            self.recorded.append((self.family, expr))
        return _fetch(self.backend, expr)

    def batches(self, expr: Any) -> Iterator[pa.RecordBatch]:
        """The result of `expr` as Arrow record batches of the expression's schema: long
        results (accounts x segments x types) are converted batch by batch, never held
        whole as Python objects or as a second copy."""
        if self.recorded is not None:
            self.recorded.append((self.family, expr))
        schema = expr.schema().to_pyarrow()
        for batch in self.backend.to_pyarrow_batches(expr, chunk_size=1 << 20):
            yield batch.cast(schema)

    def by_date(self, t: Any, time_col: str) -> Any:
        """Rows of `t` joined to every as_of they are visible at (time < as_of + 1 day)."""
        d = self.dates
        col = t[time_col]
        if col.type().is_date():
            return t.join(d, col <= d.as_of)
        return t.join(d, col < d.end_ts)

    # -- accounts that exist at each as_of, and whether they are active ------------------

    def base(self, usage: Dense | None) -> Columns:
        """The rows (accounts that exist at each as_of) with is_active, tenure, renewal, MRR;
        the usage arrays are placed in too."""
        accounts = self.fetch(
            self.table("accounts").select(
                "account_id", "start_date", "seats_purchased", "renewal_date"
            )
        )
        subs = self.table("subscriptions")
        first_sub = self.fetch(subs.group_by("account_id").agg(first_sub=subs.start_date.min()))
        acc = accounts.merge(first_sub, on="account_id", how="outer")
        start = pd.concat([_day_n(acc["start_date"]), _day_n(acc["first_sub"])], axis=1).min(axis=1)
        ids = pd.Index(acc["account_id"].astype(str), dtype=object)
        n_dates = len(self.plan.dates)
        as_of_n = np.array([day_number(d) for d in self.plan.dates], dtype="float64")
        # Every (account, date) pair, then only those where the account exists.
        a_idx = np.repeat(np.arange(len(acc)), n_dates)
        d_idx = np.tile(np.arange(n_dates), len(acc))
        start_n = start.to_numpy(dtype="float64")[a_idx]
        if usage is not None:
            # No start date and no subscription: the account exists from its first event
            # (first_n = day of the first event on or before as_of, from the usage scan).
            every = Columns(ids, self.plan.dates, a_idx, d_idx)
            first_n = take(usage.values["first_n"].reshape(-1), every.dense_positions(usage))
            start_n = np.where(np.isnan(start_n), first_n, start_n)
        keep = start_n <= as_of_n[d_idx]
        frame = Columns(ids, self.plan.dates, a_idx[keep], d_idx[keep])
        frame["as_of_n"] = as_of_n[frame.day]
        frame["start_n"] = start_n[keep]
        seats = pd.to_numeric(acc["seats_purchased"], errors="coerce").to_numpy(dtype="float64")
        frame["seats_purchased"] = seats[frame.acc]
        renewal = _day_n(acc["renewal_date"]).to_numpy()[frame.acc]
        has_subs = acc["first_sub"].notna().to_numpy()[frame.acc]
        frame.attach_dense(usage, skip=("first_n",))
        # Active = a subscription covers as_of; accounts without subscription rows count as active.
        frame.attach(self._active_subs())
        n_active = _num(frame["n_active"], 0.0) if "n_active" in frame else 0.0
        frame["is_active"] = np.where(has_subs, (n_active > 0) * 1.0, 1.0)
        frame["financial_tenure_days"] = frame["as_of_n"] - frame["start_n"]
        days_left = renewal - frame["as_of_n"].to_numpy()
        frame["financial_days_to_renewal"] = np.where(days_left >= 0, days_left, np.nan)
        frame["has_subs"] = has_subs
        return frame

    def _active_subs(self) -> pd.DataFrame:
        """MRR and active count per (as_of, account), also 28 and 90 days earlier."""
        subs = self.table("subscriptions")
        shifted = [0, 28, 90]
        rows = [(d, d - dt.timedelta(days=s), s) for d in self.plan.dates for s in shifted]
        import pyarrow as pa

        lookup = ibis.memtable(
            pa.table(
                {
                    "as_of": pa.array([r[0] for r in rows], type=pa.date32()),
                    "at": pa.array([r[1] for r in rows], type=pa.date32()),
                    "shift": pa.array([r[2] for r in rows], type=pa.int64()),
                }
            )
        )
        active = (subs.start_date <= lookup.at) & (
            subs.end_date.isnull() | (subs.end_date > lookup.at)
        )
        j = subs.join(lookup, active)
        agg = j.group_by([j.as_of, j.account_id]).agg(
            n_active=j.mrr.count(where=j.shift == 0),
            financial_mrr=j.mrr.sum(where=j.shift == 0),
            mrr28=j.mrr.sum(where=j.shift == 28),
            mrr90=j.mrr.sum(where=j.shift == 90),
            seats=j.quantity.sum(where=(j.shift == 0) & _counts_seats(j.units)),
        )
        df = self.fetch(agg)
        for c in ("financial_mrr", "mrr28", "mrr90"):
            df[c] = _num(df[c], 0.0)
        df["financial_mrr_change_28d"] = _pct_change(df["financial_mrr"], df["mrr28"])
        df["financial_mrr_change_90d"] = _pct_change(df["financial_mrr"], df["mrr90"])
        return df.drop(columns=["mrr28", "mrr90"])

    # -- usage: see _usage.py ------------------------------------------------------------------

    def usage(self) -> Dense | None:
        return usage_family(self)

    # -- support -----------------------------------------------------------------------------

    def support(self) -> pd.DataFrame | None:
        if not self.ctx.has("tickets"):
            return None
        t = self.by_date(self.table("tickets"), "opened_at")
        in28 = t.opened_at >= t.s28
        in90 = t.opened_at >= t.s90
        answered = t.first_response_at.notnull() & (t.first_response_at < t.end_ts)
        resolved = t.resolved_at.notnull() & (t.resolved_at < t.end_ts)
        resolved90 = resolved & (t.resolved_at >= t.s90)
        # Escalations in the window by their own time; a flag without one counts from the
        # opening (the ticket's current state is all such a source tells).
        escalated90 = in90 & (t.escalated == True)  # noqa: E712
        if "escalated_at" in t.columns:  # absent from tables copied to an engine before it
            escalated90 = ibis.ifelse(
                t.escalated_at.isnull(),
                escalated90,
                (t.escalated_at >= t.s90) & (t.escalated_at < t.end_ts),
            )
        hours_first = (t.first_response_at.epoch_seconds() - t.opened_at.epoch_seconds()) / 3600.0
        hours_res = (t.resolved_at.epoch_seconds() - t.opened_at.epoch_seconds()) / 3600.0
        aggs: dict[str, Any] = {
            "support_tickets_28d": t.count(where=in28),
            "support_tickets_90d": t.count(where=in90),
            "support_open_tickets": t.count(where=~resolved),
            "support_median_first_response_hours_90d": _median(hours_first, in90 & answered),
            "support_median_resolution_hours_90d": _median(hours_res, resolved90),
            "support_high_priority_90d": t.count(where=in90 & t.priority.isin(["high", "urgent"])),
            "support_escalated_90d": t.count(where=escalated90),
            "support_csat_avg_90d": t.csat.mean(where=resolved90),
        }
        for raw, s in self.ctx.categories:
            aggs[f"cat_{s}"] = t.count(where=in90 & (t.category == raw))
        df = self.fetch(t.group_by(["as_of", "account_id"]).agg(**aggs))
        for _, s in self.ctx.categories:
            df[f"support_share_{s}_90d"] = _div(df.pop(f"cat_{s}"), df["support_tickets_90d"])
        return df

    # -- voice ---------------------------------------------------------------------------------

    def voice(self) -> pd.DataFrame | None:
        if not self.ctx.has("surveys"):
            return None
        s = self.table("surveys")
        answered = s.filter(s.responded_at.notnull() & s.score.notnull())
        a = self.by_date(answered, "responded_at")
        nps = a.filter(a.survey_type == "nps")
        rank = ibis.row_number().over(
            group_by=[nps.as_of, nps.account_id],
            order_by=[nps.responded_at.desc(), nps.response_id.desc()],
        )
        nps = nps.mutate(rk=rank).filter(lambda r: r.rk <= 1)
        nps = nps.group_by(["as_of", "account_id"]).agg(
            voice_nps_latest=nps.score.max(where=nps.rk == 0),
            nps_prev=nps.score.max(where=nps.rk == 1),
        )
        csat = a.filter((a.survey_type == "csat") & (a.responded_at >= a.s180))
        csat = csat.group_by(["as_of", "account_id"]).agg(voice_csat_avg_180d=csat.score.mean())
        sent = self.by_date(s.filter(s.sent_at.notnull()), "sent_at")
        sent = sent.filter(sent.sent_at >= sent.s365)
        rate = sent.group_by(["as_of", "account_id"]).agg(
            sent_n=sent.count(),
            answered_n=sent.count(
                where=sent.responded_at.notnull() & (sent.responded_at < sent.end_ts)
            ),
        )
        df = self.fetch(nps).merge(self.fetch(csat), on=KEY, how="outer")
        r = self.fetch(rate)
        r["voice_survey_response_rate_365d"] = _div(r.pop("answered_n"), r.pop("sent_n"))
        df = df.merge(r, on=KEY, how="outer")
        df["voice_nps_change"] = df["voice_nps_latest"] - df.pop("nps_prev")
        return df

    # -- relationship --------------------------------------------------------------------------

    def relationship(self) -> pd.DataFrame | None:
        parts = []
        if self.ctx.has("interactions"):
            i = self.by_date(self.table("interactions"), "occurred_at")
            agg = i.group_by(["as_of", "account_id"]).agg(
                last_touch=i.occurred_at.max(), touches90=i.count(where=i.occurred_at >= i.s90)
            )
            df = self.fetch(agg)
            df["touch_n"] = _day_n(df.pop("last_touch"))
            df["relationship_touches_per_month_90d"] = df.pop("touches90") / 3.0
            parts.append(df)
        if self.ctx.has("judgements"):
            j = self.by_date(self.table("judgements"), "recorded_at")
            rank = ibis.row_number().over(
                group_by=[j.as_of, j.account_id, j.measure],
                order_by=[j.recorded_at.desc(), j.judgement_id.desc()],
            )
            j = j.mutate(rk=rank).filter(lambda r: r.rk == 0)
            aggs: dict[str, Any] = {}
            for raw, s in self.ctx.measures:
                aggs[f"judgement_{s}"] = j.value.max(where=j.measure == raw)
                aggs[f"jt_{s}"] = j.recorded_at.max(where=j.measure == raw)
            parts.append(self.fetch(j.group_by(["as_of", "account_id"]).agg(**aggs)))
        if self.ctx.has("engagement"):
            e = self.by_date(self.table("engagement"), "occurred_at")
            in90 = e.occurred_at >= e.s90
            agg = e.group_by(["as_of", "account_id"]).agg(
                sent=e.count(where=in90 & (e.kind == "email_sent")),
                opened=e.count(where=in90 & (e.kind == "email_opened")),
                clicked=e.count(where=in90 & (e.kind == "email_clicked")),
                relationship_events_attended_180d=e.count(
                    where=(e.occurred_at >= e.s180)
                    & e.kind.isin(["event_attended", "webinar_attended"])
                ),
            )
            df = self.fetch(agg)
            df["relationship_email_open_rate_90d"] = _div(df.pop("opened"), df["sent"])
            df["relationship_email_click_rate_90d"] = _div(df.pop("clicked"), df.pop("sent"))
            parts.append(df)
        return _merge_all(parts)

    # -- goals -----------------------------------------------------------------------------------

    def goals(self) -> pd.DataFrame | None:
        if not self.ctx.has("milestones"):
            return None
        ms = self.table("milestones")
        d = self.dates
        done = ms.completed_date.notnull() & (ms.completed_date <= d.as_of)
        due = ms.due_date.notnull() & (ms.due_date <= d.as_of)
        j = ms.join(d, due | done)
        done = j.completed_date.notnull() & (j.completed_date <= j.as_of)
        agg = j.group_by(["as_of", "account_id"]).agg(
            n=j.count(),
            done=j.count(where=done),
            goals_milestones_overdue=j.count(where=(j.due_date < j.as_of) & ~done),
        )
        df = self.fetch(agg)
        df["goals_milestones_done_share"] = _div(df.pop("done"), df.pop("n"))
        return df

    # -- financial: invoices (MRR, tenure, renewal come with the base frame) ----------

    def financial(self) -> pd.DataFrame | None:
        if not self.ctx.has("invoices"):
            return None
        inv = self.table("invoices")
        j = self.by_date(inv.filter(inv.status.isnull() | (inv.status != "void")), "issued_date")
        paid = j.paid_date.notnull() & (j.paid_date <= j.as_of)
        due_n = _date_n(j.due_date)
        late = ibis.ifelse(paid, _date_n(j.paid_date) - due_n, j.as_of_n - due_n)
        late = ibis.greatest(late, 0)
        past_due = j.due_date < j.as_of
        aggs: dict[str, Any] = {
            "financial_unpaid_overdue_invoices": j.count(where=past_due & ~paid),
            "financial_failed_payments_90d": j.failed_attempts.sum(where=j.issued_date >= j.d90),
        }
        for w in (90, 180):
            window = (j.due_date >= j[f"d{w}"]) & (j.due_date <= j.as_of)
            aggs[f"financial_days_late_max_{w}d"] = late.max(where=window)
            aggs[f"financial_days_late_avg_{w}d"] = late.mean(where=window)
        return self.fetch(j.group_by(["as_of", "account_id"]).agg(**aggs))

    # -- advocacy --------------------------------------------------------------------

    def advocacy(self) -> pd.DataFrame | None:
        if not self.ctx.has("advocacy"):
            return None
        a = self.by_date(self.table("advocacy"), "occurred_at")
        recent = a.occurred_at >= a.s365
        agg = a.group_by(["as_of", "account_id"]).agg(
            advocacy_referrals=a.count(where=a.kind == "referral"),
            advocacy_referrals_365d=a.count(where=(a.kind == "referral") & recent),
            advocacy_reviews=a.count(where=a.kind == "review"),
            advocacy_reviews_365d=a.count(where=(a.kind == "review") & recent),
        )
        return self.fetch(agg)


SEAT_UNITS = ("seat", "seats", "user", "users", "license", "licenses", "licence", "licences")


def _counts_seats(units: Any) -> Any:
    """Subscription rows whose quantity counts seats (units unset or seat-like)."""
    return units.isnull() | units.lower().isin(list(SEAT_UNITS))


def _median(value: Any, where: Any) -> Any:
    """Exact median of `value` where `where` holds: NULL-out the rest (ibis' median(where=)
    mis-compiles on Spark) and take the interpolating median, identical on all engines."""
    return ibis.ifelse(where, value, ibis.null(value.type())).median()


def _date_n(col: Any) -> Any:
    """Day number of a DATE column, portable (epoch seconds of its midnight / 86400)."""
    return (col.cast("timestamp").epoch_seconds() // 86400).cast("int64")


def _merge_all(parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=KEY, how="outer")
    return out


def _weekly_regularity(f: Columns) -> tuple[np.ndarray, np.ndarray]:
    """Share of active weeks and 1 - CV / sqrt(k - 1) of weekly event counts, over the k of
    the last 12 whole weeks the account existed for: a week before its start is not a week
    of inactivity (a new account is not irregular).  NaN with no such week (share) or fewer
    than two (consistency)."""
    weeks = np.column_stack([_num(f[f"wk{k}"], 0.0).to_numpy() for k in range(CONSISTENCY_WEEKS)])
    first_day = f["as_of_n"].to_numpy()[:, None] + 1 - 7 * (np.arange(CONSISTENCY_WEEKS) + 1)
    existed = first_day >= f["start_n"].to_numpy()[:, None]
    k = existed.sum(axis=1).astype("float64")
    k_or_nan = np.where(k > 0, k, np.nan)
    share = ((weeks > 0) & existed).sum(axis=1) / k_or_nan
    mean = np.where(existed, weeks, 0.0).sum(axis=1) / k_or_nan
    var = np.where(existed, (weeks - mean[:, None]) ** 2, 0.0).sum(axis=1) / k_or_nan
    cv = np.sqrt(var) / np.where(mean > 0, mean, np.nan)
    consistency = 1.0 - cv / np.sqrt(np.where(k >= 2, k - 1, np.nan))
    return share, consistency


def _derive(f: Columns, ctx: Context, plan: Plan) -> None:
    """Elementwise ratios, changes and ages, column by column (in place)."""
    new: dict[str, pd.Series] = {}
    n = f["as_of_n"]
    if ctx.has("events"):
        for w in plan.windows:
            for col in (
                f"usage_events_{w}d",
                f"prev_events_{w}d",
                f"usage_active_days_{w}d",
                f"prev_days_{w}d",
                f"usage_active_users_{w}d",
                f"login_{w}d",
            ):
                f[col] = _num(f[col], 0.0)
            ev, days, users = (
                f[f"usage_events_{w}d"],
                f[f"usage_active_days_{w}d"],
                f[f"usage_active_users_{w}d"],
            )
            new[f"usage_events_change_{w}d"] = _pct_change(ev, f[f"prev_events_{w}d"])
            new[f"usage_active_days_change_{w}d"] = _pct_change(days, f[f"prev_days_{w}d"])
            # Seats as of the date (subscriptions active then) before the account's current
            # seats_purchased: a past date must not see a later expansion or contraction.
            # Accounts with no subscription rows at all fall back to that current value.
            held = _num(f["seats"])
            seats = held.where(held > 0)
            seats = seats.where(f["has_subs"].astype(bool), _num(f["seats_purchased"]))
            new[f"usage_active_users_per_seat_{w}d"] = _div(users, seats)
            new[f"usage_events_per_active_user_{w}d"] = _div(ev, users)
            if ctx.login_types:
                new[f"usage_logins_per_week_{w}d"] = f[f"login_{w}d"] / (w / 7.0)
            for _, s in ctx.event_types:
                cur = _num(f[f"events_{s}_{w}d"], 0.0)
                new[f"events_{s}_{w}d"] = cur
                new[f"events_{s}_per_active_day_{w}d"] = _div(cur, days)
                prev = _num(f[f"prev_{s}_{w}d"], 0.0)
                new[f"events_{s}_change_{w}d"] = _pct_change(cur, prev)
        share, consistency = _weekly_regularity(f)
        new["usage_weeks_active_share_12w"] = share
        new["usage_consistency_12w"] = consistency
        new["usage_days_since_last_activity"] = n - f["last_n"]
        # Adoption.
        used = _num(f["adoption_features_used_90d"], 0.0)
        new["adoption_features_used_90d"] = used
        if ctx.catalogue:
            new["adoption_breadth_90d"] = used / len(ctx.catalogue)
        if ctx.high_impact:
            new["adoption_high_impact_share_90d"] = _div(
                _num(f["hi_n_90"], 0.0), _num(f["all_n_90"], 0.0)
            )
            new["adoption_high_impact_used_90d"] = _num(f["hi_used_90"], 0.0) / len(ctx.high_impact)
        if ctx.first_value:
            fv = f["first_value_n"]
            reached = fv.notna()
            # Accounts that started before the usage history cannot show when they first
            # reached value: unknown (NaN), not "very slow".
            known = f["start_n"] >= (
                ctx.events_start_n if ctx.events_start_n is not None else -1e18
            )
            new["adoption_ttfv_reached"] = reached.astype("float64").where(known)
            new["adoption_ttfv_days"] = (
                (fv - f["start_n"]).clip(lower=0).where(reached, n - f["start_n"]).where(known)
            )
        if ctx.help_types and "support_tickets_90d" in f:
            views = _num(f["help_n_90"], 0.0)
            new["support_self_service_rate_90d"] = _div(
                views, views + _num(f["support_tickets_90d"], 0.0)
            )
    if "support_tickets_90d" in f:
        for c in (
            "support_tickets_28d",
            "support_tickets_90d",
            "support_open_tickets",
            "support_high_priority_90d",
            "support_escalated_90d",
        ):
            new[c] = _num(f[c], 0.0)
        if "usage_active_users_90d" in f:
            new["support_tickets_per_active_user_90d"] = _div(
                new["support_tickets_90d"], f["usage_active_users_90d"]
            )
        for _, s in ctx.categories:
            new[f"support_share_{s}_90d"] = f[f"support_share_{s}_90d"]
    if "touch_n" in f:
        new["relationship_days_since_last_touch"] = n - f["touch_n"]
        new["relationship_touches_per_month_90d"] = _num(
            f["relationship_touches_per_month_90d"], 0.0
        )
    for _, s in ctx.measures:
        new[f"judgement_{s}_age_days"] = n - _day_n(f[f"jt_{s}"])
    if "goals_milestones_overdue" in f:
        new["goals_milestones_overdue"] = _num(f["goals_milestones_overdue"], 0.0)
    if "financial_failed_payments_90d" in f:
        for c in ("financial_failed_payments_90d", "financial_unpaid_overdue_invoices"):
            new[c] = _num(f[c], 0.0)
    if ctx.has("advocacy"):
        for c in (
            "advocacy_referrals",
            "advocacy_referrals_365d",
            "advocacy_reviews",
            "advocacy_reviews_365d",
        ):
            new[c] = _num(f[c], 0.0)
    if ctx.has("subscriptions") and "financial_mrr" in f:
        # No active subscription = 0 MRR; no subscription data at all = unknown.
        new["financial_mrr"] = _num(f["financial_mrr"], 0.0).where(f["has_subs"])
    for name, values in new.items():
        f[name] = values
