"""analyze(): one text in, its sentiment, themes, features and intent out.

The steps, each in its own module: clean (markup, quoted replies, length, garbage), detect
the language (non-English text is flagged, never scored as neutral English), score the
sentiment, find intent, themes and features, and pick the sentence that shows the verdict.
A text that cannot be read gets the label "unknown" with the reason; nothing here raises
on bad input, so one bad row never stops a batch.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from healthscore.text._clean import clean_text
from healthscore.text._language import detect_language
from healthscore.text._rules import rules
from healthscore.text._sentiment import label_of, score_text, split_sentences, word_valence
from healthscore.text.features import FeatureCatalog
from healthscore.text.intent import find_intent
from healthscore.text.themes import THEMES as _THEME_ORDER
from healthscore.text.themes import find_themes

__all__ = ["LABELS", "TextAnalysis", "analyze", "analyze_many", "method_version"]

LABELS = ("negative", "neutral", "positive", "unknown")
_EVIDENCE_CHARS = 280
# A text that says it is leaving is negative however it is worded.
_CANCELLATION_SCORE = -0.5
_STRONG_WORDS = 2.5  # the lexicon weight of "love", "great", "excellent"


@dataclass(frozen=True)
class TextAnalysis:
    """What one text says.

    sentiment: negative, neutral, positive, or unknown (then `reason` says why);
    score: -1 (most negative) to 1, None when unknown; themes and features (catalogue
    names) in a stable order; the two intent flags; language (ISO 639-1); evidence: the
    sentence that shows the verdict or the intent; reason: the rules that fired and what
    cleaning did; method: the method version the result was computed with.
    """

    sentiment: str
    score: float | None
    themes: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    cancellation_intent: bool = False
    competitor_intent: bool = False
    language: str | None = None
    evidence: str | None = None
    reason: str | None = None
    method: str = ""
    # The features the negative part of the text is about: in "love the dashboards but the
    # API keeps timing out" only the API.  Empty unless the text is negative.
    negative_features: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.sentiment

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["themes"] = list(self.themes)
        d["features"] = list(self.features)
        d["negative_features"] = list(self.negative_features)
        return d


@cache
def method_version() -> str:
    """VADER's version plus a digest of our rules: any change to either re-scores texts."""
    digest = hashlib.sha256()
    for name in ("lexicon.yaml", "themes.yaml", "intent.yaml"):
        digest.update((Path(__file__).parent / name).read_bytes())
    for module in ("_sentiment.py", "_clean.py", "_language.py", "intent.py", "analyzer.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    return f"vader-{version('vaderSentiment')}+hs1.{digest.hexdigest()[:10]}"


def _catalog(features: FeatureCatalog | Iterable[Any] | None) -> FeatureCatalog | None:
    if features is None or isinstance(features, FeatureCatalog):
        return features
    return FeatureCatalog.from_records(list(features))


def _evidence(body: str, sentences: list[str], label: str, hits: tuple) -> str | None:
    """The sentence that shows the verdict: the one whose phrases and words weigh most in
    the label's direction (the first sentence for a neutral text)."""
    if not sentences:
        return None
    if len(sentences) == 1 or label == "neutral":
        best = sentences[0]
    else:
        sign = -1.0 if label == "negative" else 1.0
        best, weight, pos = sentences[0], -math.inf, 0
        for s in sentences:
            start = body.find(s, pos)
            end = start + len(s)
            pos = max(pos, end)
            w = sum(v for a, _b, v in hits if start <= a < end) + 0.5 * word_valence(s)
            if sign * w > weight:
                best, weight = s, sign * w
    return best if len(best) <= _EVIDENCE_CHARS else best[: _EVIDENCE_CHARS - 1] + "…"


def analyze(
    text: object,
    *,
    features: FeatureCatalog | Iterable[Any] | None = None,
    source: str | None = None,
    competitors: Sequence[str] = (),
) -> TextAnalysis:
    """Analyse one text.

    features: a `FeatureCatalog`, or catalogue rows / names to build one from (None: no
    feature tagging).  source: survey, nps, csat, ticket or note, when known (a CSAT
    comment is about the support it rates).  competitors: product names to add to the
    built-in list.
    """
    method = method_version()
    cleaned = clean_text(text)
    notes = list(cleaned.notes)
    if cleaned.problem:
        return TextAnalysis(
            "unknown", None, reason="; ".join([cleaned.problem, *notes]), method=method
        )
    body = cleaned.text
    catalog = _catalog(features)
    found = catalog.find(body) if catalog else ()
    language, confidence = detect_language(body)
    if language != "en":
        reason = f"not English (detected {language}, {confidence:.0%} sure)"
        return TextAnalysis(
            "unknown",
            None,
            features=found,
            language=language,
            reason="; ".join([reason, *notes]),
            method=method,
        )
    sentences = split_sentences(body)
    present = rules(tuple(competitors)).present(body)
    result = score_text(body, present, source)
    intent = find_intent(sentences, tuple(competitors), present)
    score = result.score
    fired = list(result.fired)
    if intent.cancellation:
        score = min(score, _CANCELLATION_SCORE)
        fired.append("cancellation intent")
    if intent.competitor:
        fired.append(
            "competitor" + (f" ({intent.competitor_name})" if intent.competitor_name else "")
        )
    label = label_of(score)
    themes = find_themes(body, present)
    if label == "positive" or (
        label != "positive" and _CONTRAST.search(body) and _has_strong_praise(body)
    ):
        themes.add("praise")
    if source == "csat":
        themes.add("support")
    if intent.cancellation:
        themes.add("cancellation")
    if intent.competitor:
        themes.add("competitor")
    evidence = intent.evidence or _evidence(body, sentences, label, result.hits)
    if len(evidence or "") > _EVIDENCE_CHARS:
        evidence = (evidence or "")[: _EVIDENCE_CHARS - 1] + "…"
    return TextAnalysis(
        sentiment=label,
        score=round(score, 4),
        themes=tuple(t for t in _THEME_ORDER if t in themes),
        features=found,
        cancellation_intent=intent.cancellation,
        competitor_intent=intent.competitor,
        language="en",
        evidence=evidence,
        reason="; ".join([*fired, *notes]) or None,
        method=method,
        negative_features=_negative_features(body, found, label, result.hits, catalog),
    )


def _negative_features(
    body: str,
    found: tuple[str, ...],
    label: str,
    hits: tuple[tuple[int, int, float], ...],
    catalog: FeatureCatalog | None,
) -> tuple[str, ...]:
    """Of a negative text's features, those named in its negative clauses."""
    if label != "negative" or not found or catalog is None:
        return ()
    if len(found) == 1 or not _CLAUSE.search(body):
        return found
    out: set[str] = set()
    start = 0
    for sep in [*_CLAUSE.finditer(body), None]:
        end = sep.start() if sep else len(body)
        clause = body[start:end]
        weight = sum(v for a, _b, v in hits if start <= a < end) + 0.5 * word_valence(clause)
        if weight < 0:
            out.update(catalog.find(clause))
        start = sep.end() if sep else end
    return tuple(f for f in found if f in out) or found


def _has_strong_praise(body: str) -> bool:
    """A mixed text ("love X but Y breaks") praises X even when its verdict is negative."""
    return any(word_valence(clause) >= _STRONG_WORDS for clause in _CLAUSE.split(body))


def analyze_many(
    texts: Iterable[object],
    *,
    features: FeatureCatalog | Iterable[Any] | None = None,
    sources: Iterable[str | None] | None = None,
    competitors: Sequence[str] = (),
) -> list[TextAnalysis]:
    """Analyse many texts; a text that fails for an unforeseen reason becomes `unknown`."""
    catalog = _catalog(features)
    items = list(texts)
    kinds = list(sources) if sources is not None else [None] * len(items)
    out = []
    for text, kind in zip(items, kinds, strict=True):
        try:
            out.append(analyze(text, features=catalog, source=kind, competitors=competitors))
        except Exception as exc:
            out.append(
                TextAnalysis(
                    "unknown",
                    None,
                    reason=f"analysis failed ({type(exc).__name__})",
                    method=method_version(),
                )
            )
    return out


_CONTRAST = re.compile(r"\b(?:but|however|although|though)\b", re.I)
_CLAUSE = re.compile(r"\b(?:but|however|although|though)\b|[.!?;\n]+", re.I)
