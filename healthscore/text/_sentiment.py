"""Sentiment of one cleaned English text: VADER with a customer-feedback lexicon and phrases.

VADER (Hutto & Gilbert, ICWSM 2014) sums word valences with rules for negation, boosters,
"but" and punctuation, then squashes the sum into [-1, 1].  Customer feedback breaks it in
known ways, each repaired here by data in lexicon.yaml or by one small rule below:
domain words ("outage", "timing out"), phrases whose words mislead ("no complaints",
"it just works", "kills our workflow"), light sarcasm ("great, another outage"), courtesy
that is not praise ("How do I ...? Thanks"), terse NPS answers ("meh", "10/10") and CSM
notes in the third person ("champion left").  A matched phrase is blanked out of the text
VADER reads and its valence added to VADER's sum, weighted like VADER weights words
around "but", so nothing is counted twice.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from healthscore.text._rules import rules

__all__ = ["NEGATIVE_BELOW", "POSITIVE_FROM", "SentimentResult", "score_text", "split_sentences"]

# Label cut-offs on the final score; tuned on the tune split of the evaluation set.
POSITIVE_FROM = 0.3
NEGATIVE_BELOW = -0.1
_ALPHA = 15.0  # VADER's normalisation constant

_WORDS = re.compile(r"[a-z']+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CONTRAST = re.compile(r"\b(but|however|although|though)\b", re.I)
_SARCASM_LEAD = re.compile(
    r"(^|(?<=[.!?;\n]))\s*(oh,?\s+|yeah,?\s+)?(great|wonderful|lovely|fantastic|perfect|awesome|"
    r"brilliant|nice|super|terrific|excellent|sure|just great)\s*[,.!…]+",
    re.I,
)
_SARCASM_CUE = re.compile(r"\b(another|again|yet|more|once more|still)\b|^\s*oh\b", re.I)
_SCARE_QUOTES = re.compile(
    r"[\"“‘']\s*(resolved|fixed|solved|working|helpful|support|fix|improvement|help)\s*[\"”’']",
    re.I,
)
_GREETING = re.compile(
    r"\b(hi|hello|hey|dear)( there| team| all| support| folks| guys)?\b[,!]?"
    r"|\bhope (you'?re|you are|all is|this finds you) (well|doing well)\b[.!]?"
    r"|\b(kind |best |warm )?regards\b|\bthanks in advance\b|\bthank you in advance\b",
    re.I,
)
_THANKS = re.compile(
    r"\b(many thanks|thanks( a lot| so much)?|thank you( so much)?|cheers|ty)\b[!.]*", re.I
)
_REQUEST = re.compile(
    r"\?|(^|\n)\W*(please|could you|can you|can we|can i|how (do|can|should|does)|where|"
    r"is there|is it possible|what|when|do you|does|we need|we'?d like|i'?d like|we want|"
    r"i want|any update)\b",
    re.I,
)
_SIGN_OFF = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(many thanks|thanks( a lot| so much| again| in advance)?|thank you"
    r"( so much| again| in advance)?|cheers|ty|thx)( team| all| guys| folks)?\s*[!.]*\s*$",
    re.I,
)
_OUT_OF = re.compile(
    r"\b(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*(10|5)\b(?!\s*(seats|users|accounts|days|%))", re.I
)


@dataclass(frozen=True)
class SentimentResult:
    """The score, VADER's unsquashed sum plus the phrases' valence, the rules that fired,
    and where each phrase matched (start, end, valence), for picking the evidence."""

    score: float
    raw: float
    fired: tuple[str, ...]
    hits: tuple[tuple[int, int, float], ...] = ()


@cache
def _vader() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(rules().words)
    return analyzer


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _weight(pos: int, contrast: int | None) -> float:
    """VADER's "but" rule for added valence: before the contrast 0.5, after it 1.5."""
    if contrast is None:
        return 1.0
    return 0.5 if pos < contrast else 1.5


def _to_raw(compound: float) -> float:
    c = max(min(compound, 0.9995), -0.9995)
    return c * math.sqrt(_ALPHA) / math.sqrt(1 - c * c)


def _squash(raw: float) -> float:
    return raw / math.sqrt(raw * raw + _ALPHA)


def _rating(text: str) -> float | None:
    """A "7/10" or "4 out of 5" answer as valence, or None."""
    m = _OUT_OF.search(text)
    if not m:
        return None
    share = float(m.group(1)) / float(m.group(2))
    if share > 1:
        return None
    return 2.8 if share >= 0.85 else 0.6 if share >= 0.65 else -2.4


_SURVEYS = frozenset({"nps", "csat", "ces", "survey"})


def score_text(
    text: str, present: frozenset[int] | None = None, source: str | None = None
) -> SentimentResult:
    """The sentiment of an English text, in [-1, 1], with the rules that fired.

    `present`: the rules' literal words in `text` (computed when not given)."""
    fired: list[str] = []
    work = text
    added = 0.0
    m = _CONTRAST.search(work)
    contrast = m.start() if m else None
    # Sarcasm first: the praise word it hides must not reach the phrase rules or VADER.
    for lead in list(_SARCASM_LEAD.finditer(work)):
        rest = work[lead.end() : lead.end() + 120]
        vader_rest = _vader().polarity_scores(rest)["compound"] if rest.strip() else 0.0
        if _SARCASM_CUE.search(lead.group(0) + " " + rest[:40]) or vader_rest < -0.2:
            work = _blank(work, lead.start(), lead.end())
            added -= 1.6
            fired.append("sarcasm")
    for q in list(_SCARE_QUOTES.finditer(work)):
        work = _blank(work, q.start(), q.end())
        added -= 1.4
        fired.append("sarcasm")
    rating = _rating(work)
    if rating is not None:
        added += rating
        fired.append("rating")
    r = rules()
    hits: list[tuple[int, int, float]] = []
    have = r.present(text) if present is None else present
    for rule in r.phrases:
        if rule.group == "terse" or not rule.gated.may_match(have):
            continue
        for hit in list(rule.pattern.finditer(work)):
            if not hit.group(0).strip():
                continue
            work = _blank(work, hit.start(), hit.end())
            hits.append((hit.start(), hit.end(), rule.valence))
            added += rule.valence * _weight(hit.start(), contrast)
            fired.append(rule.group)
    if len(text) <= 40:
        for rule in r.phrases:
            # A whole answer of one word, read as written: "meh", "n/a", "yes".
            if rule.group == "terse" and rule.pattern.search(text):
                added += rule.valence
                work = ""
                fired.append("terse")
                break
    for g in list(_GREETING.finditer(work)):
        work = _blank(work, g.start(), g.end())
    sign_off = _SIGN_OFF.search(work)
    if (
        sign_off
        and len(work[: sign_off.start()].split()) >= 3
        and (source not in _SURVEYS or added < 0 or word_valence(work[: sign_off.start()]) < 0)
    ):
        # "... is broken. Thanks" signs off; it does not praise.  In a survey comment a
        # closing thanks is for the service rated, unless the comment complains.
        work = _blank(work, sign_off.start(), sign_off.end())
        fired.append("courtesy")
    if _REQUEST.search(text):
        # "How do I ...? Thanks!" is a question with manners, not praise.
        for t in list(_THANKS.finditer(work)):
            work = _blank(work, t.start(), t.end())
            fired.append("courtesy")
    compound = _vader().polarity_scores(work)["compound"] if work.strip() else 0.0
    raw = _to_raw(compound) + added
    return SentimentResult(_squash(raw), raw, tuple(dict.fromkeys(fired)), tuple(hits))


def word_valence(text: str) -> float:
    """The plain sum of lexicon valences of `text`'s words: a cheap strength for ranking
    sentences (no negation or booster rules; `score_text` is the reading)."""
    lex = _vader().lexicon
    return sum(lex.get(w, 0.0) for w in _WORDS.findall(text.lower()))


def label_of(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_BELOW:
        return "negative"
    return "neutral"
