"""The customer data model: every kind of signal healthscore stores.

One declaration drives the DDL, the importers' validation and `docs/data-model.md`,
so the three cannot drift apart.  Types are portable SQL types (DuckDB, PostgreSQL
and Spark all understand them); timestamps are stored as UTC without a zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["KINDS", "SYSTEM_TABLES", "Column", "Table", "kind"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # VARCHAR, DOUBLE, BIGINT, INTEGER, BOOLEAN, DATE, TIMESTAMP, UBIGINT
    required: bool
    description: str
    # Allowed values for categorical columns (None = free text).
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    """One kind of signal: `name` is both the import KIND and the table name."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # column -> referenced kind; a row whose reference is unknown is rejected.
    references: dict[str, str] = field(default_factory=dict)
    # Columns that hold the event time of the row (used by `status` for date ranges).
    time_column: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def C(name: str, type_: str, required: bool, description: str, choices=None) -> Column:
    return Column(name, type_, required, description, tuple(choices) if choices else None)


_PROPS = C(
    "properties",
    "VARCHAR",
    False,
    "JSON object of any other source columns, kept for segments and filters.",
)

KINDS: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "accounts",
            "One row per customer account (the unit that is scored).",
            ("account_id",),
            (
                C(
                    "account_id",
                    "VARCHAR",
                    True,
                    "Stable account identifier from your CRM or billing system.",
                ),
                C("name", "VARCHAR", False, "Display name."),
                C(
                    "segment",
                    "VARCHAR",
                    False,
                    "Customer segment, e.g. enterprise, mid-market, smb; scorecards can override per segment.",
                ),
                C("plan", "VARCHAR", False, "Current plan or tier."),
                C("industry", "VARCHAR", False, "Industry."),
                C("persona", "VARCHAR", False, "Buyer persona / use case of the account."),
                C("mrr", "DOUBLE", False, "Current monthly recurring revenue (account currency)."),
                C(
                    "arr",
                    "DOUBLE",
                    False,
                    "Current annual recurring revenue; derived as 12 x MRR when absent.",
                ),
                C("seats_purchased", "INTEGER", False, "Seats or licences purchased."),
                C("start_date", "DATE", False, "Customer since (first contract start)."),
                C("renewal_date", "DATE", False, "Next renewal date."),
                C("owner_csm", "VARCHAR", False, "Customer success manager who owns the account."),
                _PROPS,
            ),
            time_column="start_date",
        ),
        Table(
            "contacts",
            "People at an account: product users and stakeholders.",
            ("contact_id",),
            (
                C(
                    "contact_id",
                    "VARCHAR",
                    True,
                    "Contact / user identifier; events' user_id refers to it.",
                ),
                C("account_id", "VARCHAR", True, "Account the contact belongs to."),
                C("email", "VARCHAR", False, "E-mail address."),
                C("name", "VARCHAR", False, "Full name."),
                C(
                    "role",
                    "VARCHAR",
                    False,
                    "Job role, e.g. admin, champion, executive sponsor, end user.",
                ),
                C("persona", "VARCHAR", False, "Persona of this user."),
                C("created_at", "TIMESTAMP", False, "When the contact was created."),
                _PROPS,
            ),
            references={"account_id": "accounts"},
            time_column="created_at",
        ),
        Table(
            "subscriptions",
            "Billed subscription periods; the source of churn, renewal, expansion and contraction outcomes.",
            ("subscription_id",),
            (
                C(
                    "subscription_id",
                    "VARCHAR",
                    True,
                    "Subscription row id; derived from account, product and start when absent.",
                ),
                C("account_id", "VARCHAR", True, "Account."),
                C("product", "VARCHAR", True, "Product or plan name."),
                C("start_date", "DATE", True, "First day of the period."),
                C(
                    "end_date",
                    "DATE",
                    False,
                    "Day the period ended (exclusive); empty = open-ended.",
                ),
                C("mrr", "DOUBLE", True, "Monthly recurring revenue of this row."),
                C("quantity", "DOUBLE", False, "Units purchased (e.g. seats)."),
                C("units", "VARCHAR", False, "What quantity counts."),
                C("bill_period_months", "INTEGER", False, "Billing period length in months."),
                C("discount", "DOUBLE", False, "Fractional discount applied (0 = none)."),
                C(
                    "status",
                    "VARCHAR",
                    False,
                    "Billing status as exported (active, trialing, past_due, paused, canceled, ...); see docs/outcomes.md.",
                ),
                C(
                    "canceled_at",
                    "DATE",
                    False,
                    "Day the cancellation was asked for; without end_date it ends the row at current_period_end.",
                ),
                C(
                    "current_period_end",
                    "DATE",
                    False,
                    "End of the paid term at export time (exclusive); a current-state field, never a feature.",
                ),
                C(
                    "trial_end",
                    "DATE",
                    False,
                    "Last day of a free trial (exclusive); paid from then.",
                ),
                C("paused_at", "DATE", False, "Day billing was paused (a pause is not churn)."),
                C(
                    "resumes_at",
                    "DATE",
                    False,
                    "Day a paused row resumes billing; empty = paused still.",
                ),
            ),
            references={"account_id": "accounts"},
            time_column="start_date",
        ),
        Table(
            "features",
            "Feature catalogue: the event types of product usage and what they mean.",
            ("feature",),
            (
                C("feature", "VARCHAR", True, "Feature name; equals events.event_type."),
                C(
                    "category",
                    "VARCHAR",
                    False,
                    "core, advanced or high_impact.",
                    ["core", "advanced", "high_impact", "login", "help"],
                ),
                C(
                    "first_value",
                    "BOOLEAN",
                    False,
                    "True when the first use of this feature marks 'first value' (TTFV).",
                ),
                C("description", "VARCHAR", False, "What the feature is."),
                C(
                    "synonyms",
                    "VARCHAR",
                    False,
                    "Other names customers use for the feature, separated by commas (e.g. "
                    "'CSV export, PDF export'); text analysis tags texts that use them.",
                ),
            ),
        ),
        Table(
            "events",
            "Product usage events.",
            ("event_key",),
            (
                C(
                    "event_key",
                    "UBIGINT",
                    True,
                    "Dedupe key: hash of event_id, or of the whole row when the source has no id (computed on import).",
                ),
                C("event_id", "VARCHAR", False, "Source event id, if any."),
                C("account_id", "VARCHAR", True, "Account."),
                C("user_id", "VARCHAR", False, "User (contact) who acted."),
                C("event_time", "TIMESTAMP", True, "When it happened (UTC)."),
                C("event_type", "VARCHAR", True, "Event type / feature used (see features)."),
                C(
                    "value",
                    "DOUBLE",
                    False,
                    "Optional numeric amount, e.g. duration or opportunity value.",
                ),
                _PROPS,
            ),
            references={"account_id": "accounts"},
            time_column="event_time",
        ),
        Table(
            "tickets",
            "Support tickets.",
            ("ticket_id",),
            (
                C("ticket_id", "VARCHAR", True, "Ticket id."),
                C("account_id", "VARCHAR", True, "Account."),
                C("contact_id", "VARCHAR", False, "Requester."),
                C("opened_at", "TIMESTAMP", True, "When the ticket was opened."),
                C("first_response_at", "TIMESTAMP", False, "First agent response."),
                C("resolved_at", "TIMESTAMP", False, "When it was resolved; empty while open."),
                C(
                    "status",
                    "VARCHAR",
                    False,
                    "open, pending, resolved or closed.",
                    ["open", "pending", "resolved", "closed"],
                ),
                C(
                    "priority",
                    "VARCHAR",
                    False,
                    "low, normal, high or urgent.",
                    ["low", "normal", "high", "urgent"],
                ),
                C(
                    "category",
                    "VARCHAR",
                    False,
                    "Nature of the request, e.g. bug, how-to, billing, feature-request.",
                ),
                C("channel", "VARCHAR", False, "email, chat, phone, portal."),
                C("csat", "DOUBLE", False, "Ticket CSAT rating (1-5)."),
                C("escalated", "BOOLEAN", False, "Escalated to engineering or management."),
                C("subject", "VARCHAR", False, "Subject line."),
                C("body", "VARCHAR", False, "Description text."),
                C(
                    "feature",
                    "VARCHAR",
                    False,
                    "Feature the ticket is about (for the product feedback loop).",
                ),
                # Last, so stores made before it (migration 005 appends it) keep one order.
                C(
                    "escalated_at",
                    "TIMESTAMP",
                    False,
                    "When it was escalated. Metrics as of an earlier date do not count the "
                    "escalation; without it, `escalated` counts from the opening.",
                ),
            ),
            references={"account_id": "accounts"},
            time_column="opened_at",
        ),
        Table(
            "surveys",
            "Survey sends and responses: NPS (0-10), CSAT (1-5), CES (1-7).",
            ("response_id",),
            (
                C("response_id", "VARCHAR", True, "Response (or send) id."),
                C("account_id", "VARCHAR", True, "Account."),
                C("contact_id", "VARCHAR", False, "Respondent."),
                C("survey_type", "VARCHAR", True, "nps, csat or ces.", ["nps", "csat", "ces"]),
                C("sent_at", "TIMESTAMP", False, "When the survey was sent (for response rates)."),
                C(
                    "responded_at",
                    "TIMESTAMP",
                    False,
                    "When it was answered; empty = not answered.",
                ),
                C("score", "DOUBLE", False, "Score; empty = not answered."),
                C("comment", "VARCHAR", False, "Free-text comment."),
            ),
            references={"account_id": "accounts"},
            time_column="responded_at",
        ),
        Table(
            "interactions",
            "CSM interactions: calls, meetings, e-mails, QBRs.",
            ("interaction_id",),
            (
                C("interaction_id", "VARCHAR", True, "Interaction id."),
                C("account_id", "VARCHAR", True, "Account."),
                C("contact_id", "VARCHAR", False, "Contact involved."),
                C("csm", "VARCHAR", False, "CSM involved."),
                C(
                    "kind",
                    "VARCHAR",
                    True,
                    "call, meeting, email or qbr.",
                    ["call", "meeting", "email", "qbr"],
                ),
                C("direction", "VARCHAR", False, "inbound or outbound.", ["inbound", "outbound"]),
                C("occurred_at", "TIMESTAMP", True, "When it happened."),
                C("notes", "VARCHAR", False, "Notes text."),
            ),
            references={"account_id": "accounts"},
            time_column="occurred_at",
        ),
        Table(
            "judgements",
            "CSM-entered judgements, e.g. relationship quality 1-5, executive sponsor engaged 0/1.",
            ("judgement_id",),
            (
                C("judgement_id", "VARCHAR", True, "Judgement id."),
                C("account_id", "VARCHAR", True, "Account."),
                C(
                    "measure",
                    "VARCHAR",
                    True,
                    "What is judged, e.g. relationship_quality, exec_sponsor_engaged, champion_strength.",
                ),
                C("value", "DOUBLE", True, "The judgement (scale depends on the measure)."),
                C("recorded_at", "TIMESTAMP", True, "When it was entered."),
                C("csm", "VARCHAR", False, "Who entered it."),
                C("note", "VARCHAR", False, "Why."),
            ),
            references={"account_id": "accounts"},
            time_column="recorded_at",
        ),
        Table(
            "engagement",
            "Marketing and communication engagement per contact.",
            ("engagement_id",),
            (
                C("engagement_id", "VARCHAR", True, "Engagement row id."),
                C("account_id", "VARCHAR", True, "Account."),
                C("contact_id", "VARCHAR", False, "Contact."),
                C(
                    "kind",
                    "VARCHAR",
                    True,
                    "email_sent, email_opened, email_clicked, event_attended, webinar_attended or content_viewed.",
                    [
                        "email_sent",
                        "email_opened",
                        "email_clicked",
                        "event_attended",
                        "webinar_attended",
                        "content_viewed",
                    ],
                ),
                C("campaign", "VARCHAR", False, "Campaign, event or content name."),
                C("occurred_at", "TIMESTAMP", True, "When it happened."),
            ),
            references={"account_id": "accounts"},
            time_column="occurred_at",
        ),
        Table(
            "invoices",
            "Invoices and their payment.",
            ("invoice_id",),
            (
                C("invoice_id", "VARCHAR", True, "Invoice id."),
                C("account_id", "VARCHAR", True, "Account."),
                C("issued_date", "DATE", True, "Issue date."),
                C("due_date", "DATE", True, "Due date."),
                C("paid_date", "DATE", False, "Date paid; empty = unpaid."),
                C("amount", "DOUBLE", True, "Amount."),
                C("currency", "VARCHAR", False, "ISO currency code."),
                C("failed_attempts", "INTEGER", False, "Failed payment attempts."),
                C(
                    "status",
                    "VARCHAR",
                    False,
                    "open, paid, overdue, void.",
                    ["open", "paid", "overdue", "void"],
                ),
            ),
            references={"account_id": "accounts"},
            time_column="issued_date",
        ),
        Table(
            "goals",
            "Customer goals and success plans.",
            ("goal_id",),
            (
                C("goal_id", "VARCHAR", True, "Goal id."),
                C("account_id", "VARCHAR", True, "Account."),
                C("title", "VARCHAR", True, "Goal, e.g. 'Cut onboarding time by 30%'."),
                C("success_plan", "VARCHAR", False, "Success plan the goal belongs to."),
                C(
                    "status",
                    "VARCHAR",
                    False,
                    "open, achieved, at_risk or abandoned.",
                    ["open", "achieved", "at_risk", "abandoned"],
                ),
                C("created_at", "TIMESTAMP", False, "When it was set."),
                C("target_date", "DATE", False, "When it should be reached."),
            ),
            references={"account_id": "accounts"},
            time_column="created_at",
        ),
        Table(
            "milestones",
            "Milestones of goals.",
            ("milestone_id",),
            (
                C("milestone_id", "VARCHAR", True, "Milestone id."),
                C("goal_id", "VARCHAR", False, "Goal it belongs to."),
                C("account_id", "VARCHAR", True, "Account."),
                C("title", "VARCHAR", True, "Milestone."),
                C("due_date", "DATE", False, "Due date."),
                C("completed_date", "DATE", False, "Date completed; empty = not done."),
                C(
                    "status",
                    "VARCHAR",
                    False,
                    "planned, done, missed.",
                    ["planned", "done", "missed"],
                ),
            ),
            references={"account_id": "accounts"},
            time_column="due_date",
        ),
        Table(
            "advocacy",
            "Advocacy actions actually taken: referrals, reviews, case studies, reference calls.",
            ("advocacy_id",),
            (
                C("advocacy_id", "VARCHAR", True, "Advocacy action id."),
                C("account_id", "VARCHAR", True, "Account."),
                C("contact_id", "VARCHAR", False, "Who did it."),
                C(
                    "kind",
                    "VARCHAR",
                    True,
                    "referral, review, case_study or reference_call.",
                    ["referral", "review", "case_study", "reference_call"],
                ),
                C("occurred_at", "TIMESTAMP", True, "When."),
                C("details", "VARCHAR", False, "e.g. review site and rating, referred company."),
            ),
            references={"account_id": "accounts"},
            time_column="occurred_at",
        ),
    ]
}


def kind(name: str) -> Table:
    """The table of an import KIND, with a helpful error for typos."""
    from healthscore.errors import UnknownKind

    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(name, sorted(KINDS)) from None


# Tables healthscore itself writes (not importable).  DDL lives in store/migrations.py.
SYSTEM_TABLES = (
    "schema_migrations",
    "import_batches",
    "quarantine",
    "scorecards",
    "score_snapshots",
    "score_groups",
    "score_measures",
)
