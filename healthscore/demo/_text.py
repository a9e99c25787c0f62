"""Names, the feature catalogue and natural-language templates for the demo portfolio.

Kept apart from the simulation so the numbers and the words can evolve separately;
every choice goes through the caller's numpy Generator so text stays deterministic.
"""

from __future__ import annotations

import numpy as np

# (feature, category, first_value, human label, description)
FEATURES: list[tuple[str, str, bool, str, str]] = [
    ("login", "login", False, "login", "A user signed in."),
    ("help_article_viewed", "help", False, "help center", "Self-service: a help article was read."),
    ("dashboard_viewed", "core", False, "dashboards", "Opened a health dashboard."),
    ("report_created", "core", False, "reports", "Built a report."),
    ("data_imported", "core", False, "data import", "Imported a file of customer data."),
    ("search_performed", "core", False, "search", "Searched accounts or contacts."),
    ("comment_added", "core", False, "comments", "Commented on an account timeline."),
    ("task_assigned", "core", False, "tasks", "Assigned a follow-up task to a teammate."),
    (
        "workflow_automated",
        "advanced",
        True,
        "workflow automation",
        "Activated an automated workflow.",
    ),
    (
        "integration_connected",
        "advanced",
        False,
        "integrations",
        "Connected a CRM or billing integration.",
    ),
    ("api_call", "advanced", False, "the API", "Called the public API."),
    ("custom_field_created", "advanced", False, "custom fields", "Defined a custom field."),
    ("playbook_launched", "high_impact", True, "playbooks", "Launched a customer playbook."),
    (
        "insight_shared",
        "high_impact",
        False,
        "insight sharing",
        "Shared an insight with executives.",
    ),
    ("forecast_generated", "high_impact", False, "forecasting", "Generated a renewal forecast."),
]
LABEL = {f: label for f, _, _, label, _ in FEATURES}
# Other names customers use (the catalogue's `synonyms`): text analysis tags texts by them.
SYNONYMS = {
    f: ", ".join(words)
    for f, words in {
        "dashboard_viewed": ["dashboard", "dashboards"],
        "report_created": ["reports", "reporting", "CSV export", "PDF export"],
        "data_imported": ["data import", "CSV upload", "import"],
        "workflow_automated": ["workflow automation", "workflows", "automations"],
        "integration_connected": ["integrations", "CRM sync", "Salesforce sync", "sync"],
        "api_call": ["API", "webhooks"],
        "playbook_launched": ["playbooks"],
        "insight_shared": ["insight sharing", "insights"],
        "forecast_generated": ["forecasting", "renewal forecast"],
        "login": ["SSO", "SAML login", "single sign-on"],
    }.items()
}
PRODUCT_FEATURES = [f for f, cat, *_ in FEATURES if cat in ("core", "advanced", "high_impact")]

CSMS = [
    "Maya Okafor",
    "Daniel Brooks",
    "Priya Raman",
    "Lucas Meyer",
    "Sofia Alvarez",
    "Tom Becker",
    "Aisha Khan",
    "Jonas Lindqvist",
]
# Enterprise accounts get the senior CSMs, mid-market the next three, smb is pooled tech-touch.
CSM_BY_SEGMENT = {"enterprise": CSMS[:3], "mid-market": CSMS[3:6], "smb": CSMS[6:]}

INDUSTRIES = [
    "software",
    "fintech",
    "healthcare",
    "retail",
    "manufacturing",
    "education",
    "logistics",
    "media",
]
PERSONAS = [
    "customer success",
    "revenue operations",
    "support operations",
    "account management",
    "product operations",
]
USER_PERSONAS = ["csm", "support agent", "analyst", "manager", "ops specialist"]
REGIONS = ["NA", "EMEA", "APAC", "LATAM"]

_PREFIX = [
    "Acme", "Blue", "Bright", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor",
    "Iron", "Juniper", "Kite", "Lumen", "Maple", "North", "Orbit", "Pioneer", "Quartz",
    "River", "Summit", "Tidal", "Union", "Vertex", "Willow", "Zephyr", "Atlas", "Beacon",
    "Copper", "Dune", "Echo", "Fable", "Glacier", "Helix", "Indigo", "Jade", "Keystone",
]  # fmt: skip
_SUFFIX = [
    "Labs", "Systems", "Health", "Logistics", "Analytics", "Works", "Retail", "Bank",
    "Media", "Learning", "Foods", "Energy", "Robotics", "Capital", "Cloud", "Partners",
]  # fmt: skip
_FIRST = [
    "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Robin", "Avery",
    "Noah", "Emma", "Liam", "Olivia", "Mateo", "Chloe", "Yuki", "Ravi", "Fatima", "Elena",
    "Omar", "Grace", "Leo", "Hana", "Ivan", "Zoe", "Kofi", "Nina", "Pablo", "Mei",
]  # fmt: skip
_LAST = [
    "Smith", "Garcia", "Chen", "Nguyen", "Patel", "Kim", "Müller", "Rossi", "Silva", "Haddad",
    "Johnson", "Dubois", "Kowalski", "Tanaka", "Okoye", "Larsen", "Novak", "Costa", "Reyes",
    "Fischer", "Ahmed", "Brown", "Ivanova", "Moreau", "Sato", "Walker", "Jensen", "Lopez",
]  # fmt: skip


def company_names(rng: np.random.Generator, n: int) -> list[str]:
    """Unique company names; a roman suffix disambiguates the rare repeat."""
    seen: dict[str, int] = {}
    out = []
    for i, j in zip(
        rng.integers(0, len(_PREFIX), n), rng.integers(0, len(_SUFFIX), n), strict=True
    ):
        base = f"{_PREFIX[i]} {_SUFFIX[j]}"
        k = seen.get(base, 0)
        seen[base] = k + 1
        out.append(base if k == 0 else f"{base} {['II', 'III', 'IV', 'V', 'VI'][min(k - 1, 4)]}")
    # More than 6 repeats would collide: fall back to numbering.
    if len(set(out)) < n:
        out = [f"{name} #{i}" for i, name in enumerate(out)]
    return out


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) name arrays."""
    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
    return first, last


# ---------------------------------------------------------------- tickets
# The words follow the hidden health through the caller's sentiment ("pos" / "neu" / "neg"):
# unhappy accounts write angrier tickets, name the feature that hurts, and a few threaten to
# leave.  Each function draws from the caller's generator exactly as many times as before
# this text grew richer, so the simulated numbers do not move when the words change.
TICKET_CATEGORIES = ["how-to", "bug", "billing", "feature-request", "integration", "performance"]

_TICKET_SUBJECT = {
    "how-to": [
        "How do I set up {label}?",
        "Question about {label}",
        "Best way to use {label} for our team?",
        "Where can I configure {label}?",
        "Training material for {label}?",
    ],
    "bug": [
        "{Label} not working",
        "Error when using {label}",
        "{Label} shows wrong numbers",
        "{Label} broken since the last release",
        "Errors in {label} again",
    ],
    "billing": [
        "Invoice question",
        "Card payment failed",
        "Need a copy of our latest invoice",
        "Seat count on invoice looks wrong",
        "Charged twice this month",
    ],
    "feature-request": [
        "Request: more options in {label}",
        "Could {label} support exports?",
        "Idea for {label}",
        "Missing option in {label}",
    ],
    "integration": [
        "Sync issue with {label}",
        "CRM integration stopped syncing",
        "Duplicate records after {label} sync",
        "Overnight sync fails for {label}",
    ],
    "performance": [
        "{Label} is very slow",
        "Timeouts when loading {label}",
        "Pages take forever to load",
        "Timeouts in {label} again",
    ],
}
_TICKET_OPEN = {
    "pos": [
        "Hi team, quick one.",
        "Hello! We're loving the product so far.",
        "Hi, hope you're well.",
        "Hi team, everything else works great.",
    ],
    "neu": ["Hi,", "Hello support,", "Hi there,", "Hello team,"],
    "neg": [
        "This is the third time we're raising this.",
        "We are very frustrated.",
        "This is blocking our team and our leadership is asking questions.",
        "Honestly this is getting really frustrating.",
        "Our renewal is coming up and this is not acceptable.",
        "Great, another problem with {label}.",
    ],
}
_TICKET_BODY = {
    "how-to": "We're trying to get more out of {label} but can't find how to {task}.",
    "bug": "Since {when}, {label} fails with an error for {who}. Steps: open {label}, click save.",
    "billing": "Our finance team has a question about the invoice for {when}.",
    "feature-request": "It would help us a lot if {label} could {task}.",
    "integration": "Since {when} the sync behind {label} misses records for {who}.",
    "performance": "Since {when}, {label} takes over a minute to load for {who}.",
}
_TICKET_CLOSE = {"pos": "Thanks!", "neu": "Thanks.", "neg": "Please escalate."}
_TASKS = [
    "share results with our managers",
    "filter by region",
    "schedule a weekly export",
    "set permissions per team",
    "bulk-update records",
]
_WHEN = ["yesterday", "this morning", "last week", "the update on Monday", "a few days ago"]
_WHO = ["several users", "our admins", "everyone on the team", "one of our managers"]


def ticket_text(
    rng: np.random.Generator, category: str, feature: str, sentiment: str
) -> tuple[str, str]:
    """Subject and body for a ticket; the tone follows the account's sentiment."""
    label = LABEL.get(feature, feature)
    subj = _pick(rng, _TICKET_SUBJECT[category]).format(label=label, Label=label.capitalize())
    body = " ".join(
        [
            _pick(rng, _TICKET_OPEN[sentiment]).format(label=label),
            _TICKET_BODY[category].format(
                label=label, task=_pick(rng, _TASKS), when=_pick(rng, _WHEN), who=_pick(rng, _WHO)
            ),
            _TICKET_CLOSE.get(sentiment, "Thanks."),
        ]
    )
    return subj, body


# ---------------------------------------------------------------- surveys
_NPS_COMMENTS = {
    "promoter": [
        "Love {label}, it saves our team hours every week.",
        "Great product and a very responsive CSM.",
        "{Label} changed how we run renewals. Would recommend.",
        "Solid, reliable, and support is fantastic.",
        "Our managers finally trust the numbers.",
        "{Label} just works. No complaints.",
        "10/10, {label} is a killer feature for us.",
    ],
    "passive": [
        "Good overall, but {label} could be easier to use.",
        "Does the job. Reporting is a bit limited.",
        "Fine. We'd like better integrations.",
        "Decent, though onboarding new users takes time.",
        "Love the dashboards, but {label} is slow at times.",
        "OK. Would be nice if {label} had more options.",
    ],
    "detractor": [
        "{Label} keeps breaking and support is slow.",
        "Too expensive for what we use.",
        "We never got the value we were promised.",
        "Hard to use; most of the team stopped logging in.",
        "Too many bugs since the last release, especially in {label}.",
        "{Label} is unreliable and it slows the whole team down.",
        "Great, another outage in {label}. Not impressed.",
    ],
    # The unhappiest answers: where a cancellation or a competitor is announced.
    "lost": [
        "{Label} keeps breaking and support is slow.",
        "We're evaluating other vendors; {label} has let us down too often.",
        "We will not renew unless the problems with {label} are fixed.",
        "We have decided to go another direction at renewal.",
        "Too expensive for what we use, and {label} never worked for us.",
        "Running a pilot with a competitor because {label} keeps failing us.",
        "Hard to use; most of the team stopped logging in.",
    ],
}
_CSAT_COMMENTS = {
    "pos": [
        "Quick and helpful, thanks!",
        "Solved in minutes.",
        "Great support as always.",
        "No complaints, sorted the same day.",
    ],
    "neu": ["Resolved, eventually.", "OK.", "Took a while but fine.", "Answered, no more to add."],
    "neg": [
        "Took far too long.",
        "Issue not really fixed.",
        "Had to repeat myself several times.",
        "Nobody got back to me for days.",
    ],
}


def nps_comment(rng: np.random.Generator, score: float, feature: str) -> str:
    bucket = (
        "promoter"
        if score >= 9
        else "passive"
        if score >= 7
        else "detractor"
        if score >= 4
        else "lost"
    )
    label = LABEL.get(feature, feature)
    return _pick(rng, _NPS_COMMENTS[bucket]).format(label=label, Label=label.capitalize())


def csat_comment(rng: np.random.Generator, score: float) -> str:
    return _pick(rng, _CSAT_COMMENTS["pos" if score >= 4 else "neu" if score == 3 else "neg"])


# ---------------------------------------------------------------- interactions & judgements
_NOTES = {
    "qbr": {
        "pos": [
            "QBR: reviewed outcomes, {label} adoption up. Discussed expansion to another team.",
            "QBR with exec sponsor; goals on track, they want a case study later this year.",
            "QBR went well: sponsor engaged, {label} saving them hours each week.",
        ],
        "neu": [
            "QBR: usage flat. Agreed on a plan to roll out {label} more widely.",
            "QBR: mixed feedback; reporting needs work. Follow-up on training.",
            "QBR: walked through the roadmap; they will send priorities by email.",
        ],
        "neg": [
            "QBR: sponsor questioned ROI. Usage of {label} down, renewal at risk.",
            "QBR cancelled last minute; rescheduled. Budget review underway at the customer.",
            "QBR: new VP sceptical, asked for a comparison with other vendors before renewal.",
        ],
    },
    "call": {
        "pos": [
            "Check-in call: team happy, asked about {label} best practices.",
            "Call: champion promoted, wants to roll {label} out to more teams.",
        ],
        "neu": [
            "Check-in call: walked through {label}, some open questions.",
            "Call with the admin about permissions; all answered.",
        ],
        "neg": [
            "Escalation call about {label} issues; customer frustrated.",
            "Call: champion has left, need a new point of contact.",
            "Call: champion left; new VP sceptical of the value.",
        ],
    },
    "meeting": {
        "pos": ["Workshop on {label}; strong engagement from end users."],
        "neu": ["Training session on {label} for new users."],
        "neg": ["Recovery meeting: action plan for adoption and open tickets."],
    },
    "email": {
        "pos": ["Shared {label} tips; customer replied with thanks."],
        "neu": [
            "Monthly digest: new {label} features and webinar invite.",
            "Sent onboarding checklist reminder.",
        ],
        "neg": ["Reached out about declining usage; no reply yet."],
    },
}
_JUDGEMENT_NOTES = {
    "pos": ["Strong relationship, engaged sponsor.", "Champion is vocal internally.", "All good."],
    "neu": ["Stable, nothing notable.", "Relationship fine, sponsor hard to reach."],
    "neg": [
        "Sponsor disengaged.",
        "Champion left; rebuilding.",
        "Frustration about support.",
        "Champion left; new sponsor sceptical.",
    ],
}


def interaction_note(rng: np.random.Generator, kind: str, sentiment: str, feature: str) -> str:
    return _pick(rng, _NOTES[kind][sentiment]).format(label=LABEL.get(feature, feature))


def judgement_note(rng: np.random.Generator, sentiment: str) -> str:
    return _pick(rng, _JUDGEMENT_NOTES[sentiment])


GOALS = [
    "Cut onboarding time by 30%",
    "Raise renewal forecast accuracy",
    "Roll out playbooks to every CSM",
    "Reduce support backlog by half",
    "Automate quarterly business reviews",
    "Connect billing and CRM data",
]
MILESTONES = ["Kick-off done", "Data connected", "Team trained", "First outcome reported"]
CAMPAIGNS = ["Monthly newsletter", "Product update"]
WEBINARS = ["Webinar: health scores 101", "Webinar: playbooks in practice", "Customer summit"]
REVIEW_SITES = ["G2", "Capterra", "TrustRadius"]
HELP_ARTICLES = [
    "getting-started",
    "connect-your-crm",
    "build-a-report",
    "automate-workflows",
    "launch-a-playbook",
    "invite-teammates",
]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(0, len(options)))]
