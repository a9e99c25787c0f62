"""analyze(): the readings customer-feedback language needs, and bad input that never raises."""

from __future__ import annotations

import math

import pytest

from healthscore.text import FeatureCatalog, TextAnalysis, analyze, analyze_many, method_version
from healthscore.text._clean import MAX_ANALYSED_CHARS, MAX_INPUT_CHARS


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("No complaints, support sorted it the same day.", "positive"),
        ("It just works.", "positive"),
        ("Forecasting is a killer feature for our team.", "positive"),
        ("The new release kills our workflow.", "negative"),
        ("The sync bug is fixed, thanks!", "positive"),
        ("Oh great, the app is down again.", "negative"),
        ("Perfect, another failed import.", "negative"),
        ("Love the reports, but the mobile app crashes every day.", "negative"),
        ("Our champion left and the new director is sceptical.", "negative"),
        ("meh", "negative"),
        ("9/10", "positive"),
        ("2/10", "negative"),
        ("How do I add a teammate? Thanks!", "neutral"),
        ("n/a", "neutral"),
        ("Search takes forever to load.", "negative"),
        ("We decided not to renew our contract.", "negative"),
    ],
)
def test_customer_feedback_readings(text: str, label: str) -> None:
    a = analyze(text)
    assert a.sentiment == label, (a.score, a.reason)
    assert a.score is not None and -1.0 <= a.score <= 1.0
    assert a.language == "en"


def test_score_orders_strength() -> None:
    strong = analyze("Terrible, constant outages and support never replies.").score
    mild = analyze("Search is a bit slow sometimes.").score
    assert strong is not None and mild is not None and strong < mild


@pytest.mark.parametrize(
    "text",
    [
        "We will not be renewing when the contract ends.",
        "Please cancel our subscription at the end of the term.",
        "Leadership asked us to evaluate other vendors before renewal.",
        "We are moving to Gainsight next quarter.",
        "This will be our last year with you.",
    ],
)
def test_cancellation_intent_is_found_with_its_sentence(text: str) -> None:
    a = analyze(f"Hello. {text} Regards")
    assert a.cancellation_intent
    assert a.sentiment == "negative"
    assert a.evidence is not None and text.split()[1] in a.evidence
    assert "cancellation" in a.themes


@pytest.mark.parametrize(
    "text",
    [
        "No plans to switch, it does the job.",
        "Please cancel my webinar registration, I can't make it.",
        "We looked at alternatives and decided to stay.",
        "How do I cancel a scheduled report?",
        "Does our contract auto-renew?",
    ],
)
def test_no_intent_where_none_is_meant(text: str) -> None:
    a = analyze(text)
    assert not a.cancellation_intent, a.evidence
    assert not a.competitor_intent


def test_competitor_intent_names_the_product() -> None:
    a = analyze("Their new VP used ChurnZero before and wants to switch.")
    assert a.competitor_intent and a.cancellation_intent
    assert "ChurnZero" in (a.reason or "")
    extra = analyze("We are piloting Acmeflow in parallel.", competitors=["Acmeflow"])
    assert extra.competitor_intent
    assert not analyze("We are piloting Acmeflow in parallel.").competitor_intent


def test_themes() -> None:
    assert {"bug", "integration"} <= set(analyze("The Salesforce sync is broken again.").themes)
    assert "pricing" in analyze("Way too expensive for what we use.").themes
    assert "billing" in analyze("We were charged twice on the last invoice.").themes
    assert "performance" in analyze("Dashboards are very slow today.").themes
    assert "praise" in analyze("Fantastic support, thank you!").themes
    assert "feature_request" in analyze("Would be nice to export to PowerPoint.").themes
    assert "support" in analyze("Took far too long.", source="csat").themes
    assert "support" not in analyze("Took far too long.").themes


def test_features_by_name_label_and_synonyms() -> None:
    catalog = FeatureCatalog.from_records(
        [
            {"feature": "report_created"},
            {"feature": "login", "synonyms": "SSO, SAML login"},
            {"feature": "data_imported"},
            {"feature": "api_call", "label": "the API"},
        ]
    )
    assert catalog.find("Our reports are wrong") == ("report_created",)
    assert catalog.find("SAML login fails and SSO is down") == ("login",)
    assert catalog.find("The import wizard failed; data import is broken") == ("data_imported",)
    assert catalog.find("The API times out") == ("api_call",)
    assert catalog.find("I reported this already") == ()
    a = analyze("SSO keeps logging people out", features=catalog)
    assert a.features == ("login",) and a.negative_features == ("login",)
    mixed = analyze("Love our reports, but the API keeps timing out", features=catalog)
    assert mixed.features == ("api_call", "report_created")
    assert mixed.negative_features == ("api_call",)
    assert analyze("Reports are great", features=catalog).negative_features == ()
    assert analyze("SSO keeps logging people out").features == ()


BAD = {
    "empty": "",
    "blank": "   \n\t ",
    "none": None,
    "nan": math.nan,
    "binary": bytes(range(256)) * 20,
    "garbage": "\x00\x01\x02\x03" * 500,
    "base64": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 30,
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_unreadable_input_is_unknown_with_a_reason(name: str) -> None:
    a = analyze(BAD[name])
    assert isinstance(a, TextAnalysis)
    assert a.sentiment == "unknown" and a.score is None
    assert a.reason


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Das Produkt ist gut, aber die Berichte laden sehr langsam.", "de"),
        ("El soporte responde muy rápido, estamos muy contentos.", "es"),
        ("Le tableau de bord est très pratique mais l'export ne marche pas.", "fr"),
        ("Отличный продукт, но дорогой.", "ru"),
    ],
)
def test_non_english_is_flagged_not_scored_neutral(text: str, lang: str) -> None:
    a = analyze(text)
    assert a.sentiment == "unknown" and a.score is None
    assert a.language == lang
    assert "not English" in (a.reason or "")


def test_html_is_analysed_on_its_text() -> None:
    a = analyze(
        "<div><p>The <b>export</b> is <i>completely broken</i>.</p><br>Thanks&nbsp;team</div>"
    )
    assert a.sentiment == "negative"
    assert "HTML removed" in (a.reason or "")
    assert a.evidence is not None and "<" not in a.evidence


def test_quoted_replies_are_left_out() -> None:
    a = analyze(
        "Still broken.\n\nOn Tue, 3 Mar, Support wrote:\n> We are happy to help! Great news!"
    )
    assert a.sentiment == "negative"


def test_very_long_text_is_truncated_not_refused() -> None:
    long = "The dashboards are slow and keep failing. " * (MAX_INPUT_CHARS // 20)
    a = analyze(long)
    assert len(long) > MAX_INPUT_CHARS
    assert a.sentiment == "negative"
    assert "truncated" in (a.reason or "") and str(MAX_ANALYSED_CHARS)[:1] in (a.reason or "")


def test_a_batch_goes_on_past_bad_rows() -> None:
    texts = ["Great support!", None, bytes(range(256)) * 10, "x" * 200_000, "Es ist kaputt.", 42]
    out = analyze_many(texts, sources=["csat", None, None, None, None, None])
    assert [a.sentiment for a in out][:2] == ["positive", "unknown"]
    assert len(out) == len(texts)
    assert all(a.method == method_version() for a in out)


def test_the_method_version_names_vader_and_the_rules() -> None:
    v = method_version()
    assert v.startswith("vader-") and "+hs" in v
    assert analyze("fine").method == v


def test_as_dict_is_plain() -> None:
    d = analyze("Support was slow.").as_dict()
    assert isinstance(d["themes"], list) and d["sentiment"] == "negative"


def test_the_literal_gates_change_no_reading() -> None:
    """Rules are skipped when none of their literal words occurs; that must be sound."""
    import json
    from pathlib import Path

    from healthscore.text._rules import GATES

    data = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "feedback_eval.jsonl"
    texts = [json.loads(x)["text"] for x in data.read_text().splitlines() if x.strip()]
    texts += ["Oh great, the app is down again.", "We are moving to Gainsight next quarter."]
    gated = [analyze(t) for t in texts]
    GATES.on = False
    try:
        ungated = [analyze(t) for t in texts]
    finally:
        GATES.on = True
    assert gated == ungated
