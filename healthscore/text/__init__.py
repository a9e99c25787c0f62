"""Voice of the customer: what customers write and what CSMs note, read.

`analyze(text)` gives a text's sentiment (negative / neutral / positive, or unknown with a
reason), score, themes, catalogue features, cancellation and competitor intent, language
and the sentence that shows it.  `healthscore.text.batch` analyses every text in a store;
`healthscore.text.feedback` turns the results into the product team's friction report.
See docs/text.md.
"""

from healthscore.text.analyzer import (
    LABELS,
    TextAnalysis,
    analyze,
    analyze_many,
    method_version,
)
from healthscore.text.features import FeatureCatalog
from healthscore.text.themes import THEMES

__all__ = [
    "LABELS",
    "THEMES",
    "FeatureCatalog",
    "TextAnalysis",
    "analyze",
    "analyze_many",
    "method_version",
]
