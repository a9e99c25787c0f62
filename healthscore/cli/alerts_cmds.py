"""`healthscore changes`, `healthscore alerts ...` and `healthscore plans ...`: detected
changes, calls-to-action and success plans, each a thin shell over healthscore.actions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from healthscore.cli._app import app
from healthscore.cli._common import (
    DbOption,
    FormatOption,
    OutputFormat,
    current_app,
    date_option,
    emit,
    emit_json,
    err,
    out,
)

alerts_app = typer.Typer(
    help="Calls-to-action: run the rules, list, show, snooze, assign and close CTAs, and "
    "measure whether working them helped.",
    no_args_is_help=True,
)
app.add_typer(alerts_app, name="alerts")
plans_app = typer.Typer(
    help="Success plans: goals with milestones per account.", no_args_is_help=True
)
app.add_typer(plans_app, name="plans")

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Rules YAML (default: $HEALTHSCORE_RULES or the built-in rules)."),
]
ActorOption = Annotated[
    str, typer.Option("--as", help="Who makes the change (recorded in the CTA's history).")
]


def _rules(hs: Any, path: Path | None) -> Any:
    from healthscore.actions import load_rules

    return load_rules(path or hs.settings.rules)


def _pct(v: Any) -> str:
    return "" if v is None else f"{v * 100:.0f} %"


def _money(v: Any) -> str:
    return "" if v is None else f"{v:,.0f}"


# -- changes ---------------------------------------------------------------------------------


@app.command("changes")
def changes_cmd(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's changes.")
    ] = None,
    since: Annotated[
        dt.date | None,
        date_option("--since", help="Only changes that started on or after this day."),
    ] = None,
    as_of: Annotated[
        dt.date | None,
        date_option(
            "--as-of", help="Detect as of this day (default: the newest run of the rules)."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Changes in each account's behaviour, bad and good: sudden drops and spikes against
    the account's own history, sustained declines and rises, level shifts, and first value
    reached, on the key metrics and the score.

    Each change names the metric, the values before and after, its size and when it
    started; --format json adds the weekly points it was judged on.

    Example: healthscore changes --account ACC-0042 --since 2026-10-01
    """
    from healthscore.actions import list_changes

    hs = current_app(ctx, db=db)
    rows = list_changes(hs.store, account_id=account, since=since, as_of=as_of)
    if fmt is OutputFormat.table:
        for r in rows:
            r["change"] = r["words"]
            r["news"] = "good" if r["good"] else "bad"
        emit(
            rows,
            fmt,
            title=f"{len(rows)} changes detected",
            columns=["account_id", "kind", "news", "change"],
        )
        return
    if fmt is OutputFormat.csv:
        for r in rows:
            r.pop("evidence", None)
    emit(
        rows,
        fmt,
        columns=[c for c in (rows[0] if rows else {}) if c != "evidence"]
        if fmt is OutputFormat.csv
        else None,
    )


# -- alerts ----------------------------------------------------------------------------------


@alerts_app.command("run")
def alerts_run(
    ctx: typer.Context,
    as_of: Annotated[
        dt.date | None,
        date_option("--as-of", help="Run as of this day (default: the newest scored day)."),
    ] = None,
    rules: RulesOption = None,
    churn_model: Annotated[
        bool,
        typer.Option(
            "--churn-model/--no-churn-model",
            help="Priorities use the churn model's probability where it has one (it trains "
            "first, which takes a while on a large store); --no-churn-model: the calibrated "
            "score throughout.",
        ),
    ] = True,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Run the rules: detect changes, open or refresh one CTA per account and reason,
    auto-resolve the ones whose condition recovered, wake snoozed ones, and queue them by
    each owner's capacity.  Running it twice for a day changes nothing.

    A rules file with problems is refused with every problem and its line, and nothing
    changes; a rule that fails while running is named and skipped.

    Example: healthscore alerts run --as-of 2026-10-31
    """
    from healthscore.actions import run_alerts

    hs = current_app(ctx, db=db)
    ruleset = _rules(hs, rules)
    run = run_alerts(hs.store, as_of, ruleset, churn_model=churn_model)
    if fmt is not OutputFormat.table:
        rows = [{"rule": k, **v} for k, v in run.per_rule.items()]
        if fmt is OutputFormat.json:
            emit_json(run.as_dict())
        else:
            emit(rows, fmt)
        return
    emit(
        [{"rule": k, **v} for k, v in run.per_rule.items()],
        fmt,
        title=f"Rules run as of {run.as_of}",
        columns=["rule", "fired", "opened", "updated", "resolved", "held_back"],
    )
    err.print(
        f"{run.opened} opened, {run.updated} refreshed, {run.resolved} auto-resolved, "
        f"{run.woke} woke from snooze, {run.deferred} deferred by capacity; "
        f"{run.changes} changes detected; churn probability: {run.churn_probability}",
        highlight=False,
        markup=False,
    )
    for e in run.errors:
        err.print(
            f"rule {e.rule} failed and was skipped: {e.error}", style="bold yellow", markup=False
        )


def _cta_row(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "account": c.account_name or c.account_id,
        "type": c.type,
        "reason": c.reason,
        "owner": c.owner,
        "status": c.status + (" (deferred)" if c.deferred and c.status != "closed" else ""),
        "priority": _money(c.priority),
        "due": c.due,
        "evidence": "; ".join(c.evidence),
    }


@alerts_app.command("list")
def alerts_list(
    ctx: typer.Context,
    mine: Annotated[
        str | None, typer.Option("--mine", help="Only CTAs owned by this person.")
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="risk, opportunity, lifecycle or data-quality.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open, in_progress, snoozed or closed.")
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's CTAs.")
    ] = None,
    no_deferred: Annotated[
        bool, typer.Option("--no-deferred", help="Leave out CTAs deferred by capacity.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """The calls-to-action, highest priority first (priority = ARR at stake x churn
    probability x urgency).  Closed ones only with --status closed; deferred ones are
    marked: they wait for capacity, they are not dropped.

    Example: healthscore alerts list --mine "Maya Okafor" --type risk --status open
    """
    from healthscore.actions import list_ctas

    hs = current_app(ctx, db=db)
    ctas = list_ctas(
        hs.store,
        owner=mine,
        type=type_,
        status=status,
        account_id=account,
        include_deferred=not no_deferred,
    )
    if fmt is OutputFormat.table:
        emit(
            [_cta_row(c) for c in ctas],
            fmt,
            title=f"{len(ctas)} calls-to-action ({sum(c.deferred for c in ctas)} deferred by capacity)",
            columns=[
                "id",
                "account",
                "type",
                "reason",
                "owner",
                "status",
                "priority",
                "due",
                "evidence",
            ],
        )
        return
    rows = [c.as_dict() for c in ctas]
    if fmt is OutputFormat.csv:
        for r in rows:
            r["evidence"] = "; ".join(r["evidence"])
            r["steps"] = len(r["steps"])
    emit(rows, fmt)


@alerts_app.command("show")
def alerts_show(
    ctx: typer.Context,
    cta_id: Annotated[int, typer.Argument(metavar="ID", help="The CTA's id (see alerts list).")],
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """One CTA: its reason, evidence, priority and its parts, checklist and history.

    Example: healthscore alerts show 42
    """
    from healthscore.actions import cta_history, get_cta

    hs = current_app(ctx, db=db)
    c = get_cta(hs.store, cta_id)
    history = cta_history(hs.store, cta_id)
    if fmt is not OutputFormat.table:
        d = c.as_dict()
        d["history"] = history
        emit_json(d) if fmt is OutputFormat.json else emit([_cta_row(c)], fmt)
        return
    p = (
        f"priority {_money(c.priority)} = ARR at stake {_money(c.arr_at_stake)} x churn probability "
        f"{_pct(c.churn_probability)} x urgency {c.urgency:g}"
        if c.urgency is not None
        else f"priority {_money(c.priority)}"
    )
    lines = [
        f"#{c.id} {c.reason} - {c.account_name or c.account_id} ({c.account_id})",
        f"type {c.type}, rule {c.rule}, {c.status.replace('_', ' ')}"
        + (" (deferred by capacity)" if c.deferred and c.status != "closed" else "")
        + (f", snoozed until {c.snoozed_until}: {c.snooze_reason}" if c.status == "snoozed" else "")
        + (f", outcome {c.outcome}" if c.outcome else ""),
        f"owner {c.owner or '(none)'}, due {c.due}, opened {c.opened_on}, fired {c.fire_count} time(s)",
        p,
        *([f"churn probability from: {c.churn_source}"] if c.churn_source else []),
        "evidence:",
        *(f"  - {e}" for e in c.evidence),
    ]
    if c.note:
        lines.append(f"note: {c.note}")
    if c.steps:
        lines.append("checklist:")
        for s in c.steps:
            done = (
                f"done {s.done_at:%Y-%m-%d %H:%M} by {s.done_by}" if s.done_at else f"due {s.due}"
            )
            lines.append(
                f"  [{'x' if s.done_at else ' '}] {s.step_no}. {s.title} ({s.owner or 'owner'}; {done})"
            )
    lines.append("history:")
    for h in history:
        lines.append(f"  {h['happened_at']:%Y-%m-%d %H:%M} {h['actor']}: {h['action']}")
    for line in lines:
        out.print(line, markup=False, highlight=False)


@alerts_app.command("start")
def alerts_start(
    ctx: typer.Context,
    cta_id: Annotated[int, typer.Argument(metavar="ID")],
    actor: ActorOption = "cli",
    note: Annotated[str | None, typer.Option("--note", help="A note to keep with it.")] = None,
    db: DbOption = None,
) -> None:
    """Mark a CTA in progress (it keeps its place in its owner's capacity).

    Example: healthscore alerts start 42 --as "Maya Okafor"
    """
    from healthscore.actions import update_cta

    hs = current_app(ctx, db=db)
    c = update_cta(hs.store, cta_id, actor=actor, status="in_progress", note=note)
    out.print(f"#{c.id} is in progress", markup=False)


@alerts_app.command("snooze")
def alerts_snooze(
    ctx: typer.Context,
    cta_id: Annotated[int, typer.Argument(metavar="ID")],
    until: Annotated[dt.date, date_option("--until", help="Wake it on this day.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it can wait.")],
    actor: ActorOption = "cli",
    db: DbOption = None,
) -> None:
    """Snooze a CTA until a day, with a reason; the first rules run on or after that day
    wakes it.

    Example: healthscore alerts snooze 42 --until 2026-11-15 --reason "customer on holiday"
    """
    from healthscore.actions import snooze_cta

    hs = current_app(ctx, db=db)
    c = snooze_cta(hs.store, cta_id, actor=actor, until=until, reason=reason)
    out.print(f"#{c.id} snoozed until {c.snoozed_until}", markup=False)


@alerts_app.command("assign")
def alerts_assign(
    ctx: typer.Context,
    cta_id: Annotated[int, typer.Argument(metavar="ID")],
    owner: Annotated[str, typer.Argument(help="The new owner (a person or the team pool).")],
    actor: ActorOption = "cli",
    db: DbOption = None,
) -> None:
    """Give a CTA to another owner.

    Example: healthscore alerts assign 42 "Priya Raman"
    """
    from healthscore.actions import assign_cta

    hs = current_app(ctx, db=db)
    c = assign_cta(hs.store, cta_id, actor=actor, owner=owner)
    out.print(f"#{c.id} is now owned by {c.owner}", markup=False)


@alerts_app.command("close")
def alerts_close(
    ctx: typer.Context,
    cta_id: Annotated[int, typer.Argument(metavar="ID")],
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="done, saved (customer saved), lost (customer lost) or not_valid (a false alarm).",
        ),
    ],
    note: Annotated[str | None, typer.Option("--note", help="What happened.")] = None,
    actor: ActorOption = "cli",
    db: DbOption = None,
) -> None:
    """Close a CTA with its outcome and a note.  "not_valid" closes count as the rule's
    false alarms (see alerts effectiveness).

    Example: healthscore alerts close 42 --outcome saved --note "renewed after exec call"
    """
    from healthscore.actions import close_cta

    hs = current_app(ctx, db=db)
    c = close_cta(hs.store, cta_id, actor=actor, outcome=outcome, note=note)
    out.print(f"#{c.id} closed: {c.outcome}", markup=False)


@alerts_app.command("tick")
def alerts_tick(
    ctx: typer.Context,
    cta_id: Annotated[int, typer.Argument(metavar="ID")],
    step: Annotated[int, typer.Argument(help="The checklist step number.")],
    actor: ActorOption = "cli",
    db: DbOption = None,
) -> None:
    """Tick a step of a CTA's playbook checklist as done (who and when are recorded).

    Example: healthscore alerts tick 42 1 --as "Maya Okafor"
    """
    from healthscore.actions import tick_step

    hs = current_app(ctx, db=db)
    c = tick_step(hs.store, cta_id, step, actor=actor)
    done = sum(s.done for s in c.steps)
    out.print(f"#{c.id}: step {step} done ({done} of {len(c.steps)})", markup=False)


@alerts_app.command("check")
def alerts_check(
    path: Annotated[Path, typer.Argument(help="The rules YAML to check.")],
) -> None:
    """Check a rules file: every problem at once, each with its line.

    Example: healthscore alerts check my_rules.yaml
    """
    from healthscore.actions import load_rules

    rs = load_rules(path)
    out.print(
        f"{path}: {len(rs.rules)} rules ({len(rs.enabled())} enabled), {len(rs.playbooks)} playbooks: OK",
        markup=False,
    )


@alerts_app.command("rules")
def alerts_rules(
    ctx: typer.Context,
    rules: RulesOption = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """The rules in force with their hold-out share and, from the CTAs people closed, the
    share closed as "not valid": each rule's false-alarm rate.

    Example: healthscore alerts rules
    """
    from healthscore.actions import rule_table

    hs = current_app(ctx, db=db)
    rows = rule_table(hs.store, _rules(hs, rules))
    if fmt is OutputFormat.table:
        for r in rows:
            r["holdout"] = _pct(r["holdout"])
            r["false_alarms"] = (
                _pct(r["false_alarm_rate"]) if r["closed_by_people"] else "no closes yet"
            )
    emit(
        rows,
        fmt,
        title="Rules in force",
        columns=[
            "rule",
            "type",
            "enabled",
            "holdout",
            "opened",
            "closed_by_people",
            "false_alarms",
            "reason",
        ]
        if fmt is OutputFormat.table
        else None,
    )


@alerts_app.command("effectiveness")
def alerts_effectiveness(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Did working the CTAs help?  Per rule and per CTA type: shown CTAs against the
    randomly held-back ones, the outcome rate of each, the difference with a 95 %
    bootstrap interval and the counts; "too few to tell" when there are.  A second,
    observational view (not randomised) compares worked with unworked shown CTAs.

    Example: healthscore alerts effectiveness --format json
    """
    from healthscore.actions import effectiveness

    hs = current_app(ctx, db=db)
    rep = effectiveness(hs.store)
    if fmt is OutputFormat.json:
        emit_json(rep.as_dict())
        return
    rows = []
    for r in rep.rows:
        obs = r.observational or {}
        rows.append(
            {
                "group": r.group,
                "kind": r.kind,
                "outcome": r.outcome,
                "shown": r.shown,
                "held back": r.held_back,
                "worked": r.worked,
                "good when shown": _pct(r.shown_rate),
                "good when held": _pct(r.held_rate),
                "verdict": r.verdict,
                "observational": obs.get("verdict", ""),
                "not valid": _pct(r.not_valid_share),
            }
        )
    if fmt is OutputFormat.csv:
        emit(rows, fmt)
        return
    emit(rows, fmt, title=f"Effectiveness of worked CTAs (outcomes known by {rep.data_end})")
    err.print(
        f"{rep.evaluable} CTAs with a known outcome; {rep.pending} still inside their outcome window",
        markup=False,
        highlight=False,
    )
    for n in rep.notes:
        err.print(f"note: {n}", markup=False, highlight=False)


@alerts_app.command("backtest")
def alerts_backtest(
    ctx: typer.Context,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule (repeat for several).")
    ] = None,
    start: Annotated[dt.date | None, date_option("--from", help="First day replayed.")] = None,
    end: Annotated[
        dt.date | None,
        date_option("--to", help="Last day replayed (default: 90 days before the newest data)."),
    ] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=7, help="Churn window in days.")] = 90,
    rules: RulesOption = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Replay rules over a past period, writing nothing: how often each would have fired,
    and how many of those accounts churned within the horizon against the portfolio.
    Default period: the quarter ending 90 days before the newest data.

    Example: healthscore alerts backtest --rules my_rules.yaml --rule usage_drop
    """
    from healthscore.actions import backtest_rules

    hs = current_app(ctx, db=db)
    res = backtest_rules(
        hs.store, _rules(hs, rules), rules=rule, start=start, end=end, horizon_days=horizon
    )
    if fmt is OutputFormat.json:
        emit_json(res.as_dict())
        return
    rows = [
        {
            "rule": r.rule,
            "type": r.type,
            "fired": r.fired,
            "accounts": r.accounts,
            "churned": _pct(r.churn_rate),
            "overall": _pct(r.overall_rate),
            "lift": "" if r.lift is None else f"{r.lift:.1f}x",
        }
        for r in res.rules
    ]
    emit(
        rows,
        fmt,
        title=f"Rules replayed weekly {res.start} to {res.end} ({res.horizon_days}-day churn)",
    )
    if fmt is OutputFormat.table:
        for r in res.rules:
            out.print(r.sentence, markup=False, highlight=False)
        for n in res.notes:
            err.print(f"note: {n}", markup=False, highlight=False)


# -- plans -----------------------------------------------------------------------------------


@plans_app.command("list")
def plans_list(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's plan.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Goals and their milestones, with owners, due dates, status and progress.

    Example: healthscore plans list --account ACC-0042
    """
    from healthscore.actions import list_plans

    hs = current_app(ctx, db=db)
    goals = list_plans(hs.store, account)
    if fmt is OutputFormat.json:
        emit_json([g.as_dict() for g in goals])
        return
    today = hs.today()
    rows = []
    for g in goals:
        for m in g.milestones or [None]:  # type: ignore[list-item]
            rows.append(
                {
                    "account_id": g.account_id,
                    "goal_id": g.goal_id,
                    "goal": g.title,
                    "progress": _pct(g.progress),
                    "milestone_id": m.milestone_id if m else "",
                    "milestone": m.title if m else "",
                    "owner": (m.owner if m else None) or g.owner,
                    "due": m.due_date if m else g.target_date,
                    "status": ("overdue" if m.overdue(today) else m.status) if m else g.status,
                    "completes when": (m.condition or "") if m else "",
                }
            )
    emit(rows, fmt, title=f"{len(goals)} goals")


@plans_app.command("add-goal")
def plans_add_goal(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id.")],
    title: Annotated[str, typer.Argument(help="The goal, e.g. 'Cut onboarding time by 30%'.")],
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns the goal.")] = None,
    target: Annotated[
        dt.date | None, date_option("--target", help="When it should be reached.")
    ] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="The success plan's name.")] = None,
    db: DbOption = None,
) -> None:
    """Add a goal to an account's success plan.

    Example: healthscore plans add-goal ACC-0042 "Roll out reporting" --owner "Maya Okafor" --target 2027-03-31
    """
    from healthscore.actions import add_plan_goal

    hs = current_app(ctx, db=db)
    g = add_plan_goal(hs.store, account, title, owner=owner, target_date=target, success_plan=plan)
    out.print(f"goal {g.goal_id} added to {g.account_id}", markup=False)


@plans_app.command("add-milestone")
def plans_add_milestone(
    ctx: typer.Context,
    goal: Annotated[str, typer.Argument(help="Goal id (see plans list).")],
    title: Annotated[str, typer.Argument(help="The milestone.")],
    due: Annotated[dt.date | None, date_option("--due", help="Due date.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns it.")] = None,
    when: Annotated[
        str | None,
        typer.Option(
            "--completes-when",
            help="A metric condition that completes it by itself: METRIC OP VALUE, OP one of "
            "at_least, above, at_most, below, equals; e.g. 'events_report_created_28d at_least 10'.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a milestone to a goal; with --completes-when it completes itself on the first
    rules run where the condition holds.

    Example: healthscore plans add-milestone G-000001 "Reports used weekly" --due 2026-12-15 --completes-when "events_report_created_28d at_least 10"
    """
    from healthscore.actions import add_plan_milestone

    metric = op = None
    value = None
    if when:
        parts = when.split()
        try:
            metric, op, value = parts[0], parts[1], float(parts[2])
        except (IndexError, ValueError):
            raise typer.BadParameter(
                "write METRIC OP VALUE, e.g. 'events_report_created_28d at_least 10'",
                param_hint="--completes-when",
            ) from None
    hs = current_app(ctx, db=db)
    m = add_plan_milestone(
        hs.store, goal, title, due=due, owner=owner, metric=metric, op=op or "at_least", value=value
    )
    out.print(f"milestone {m.milestone_id} added to goal {goal}", markup=False)


@plans_app.command("set")
def plans_set(
    ctx: typer.Context,
    milestone: Annotated[str, typer.Argument(help="Milestone id.")],
    status: Annotated[str, typer.Argument(help="planned, done or missed.")],
    on: Annotated[
        dt.date | None, date_option("--on", help="Day it was done (default today).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Set a milestone's status.

    Example: healthscore plans set M-000003 done --on 2026-10-30
    """
    from healthscore.actions import set_milestone_status

    hs = current_app(ctx, db=db)
    m = set_milestone_status(hs.store, milestone, status, on=on or hs.today())
    out.print(f"milestone {m.milestone_id}: {m.status}", markup=False)
