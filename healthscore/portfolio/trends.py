"""Trends: each figure against the previous period and the same period a year earlier,
with a flag saying whether the change is larger than its noise.

Noise models (95 %, z = 1.96):

* rates of accounts or answers (logo churn, % satisfied): a two-proportion z-test with the
  pooled rate (Agresti & Franklin; any statistics text), and the Wilson score interval of
  each rate (Wilson, 1927), which stays inside [0, 1] for small segments;
* NPS: the difference of two NPS over the root of the sum of their squared standard
  errors (the NPS is the mean of a +1/0/-1 answer; see `satisfaction.nps_se`);
* the other figures (MRR ratios, adoption, CLTV) have no sampling model here: their change
  is shown and the flag stays empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from healthscore.portfolio._figures import Figures

__all__ = ["SIGNIFICANT", "TRENDED", "WITHIN_NOISE", "compare", "two_proportion", "wilson"]

Z = 1.96
SIGNIFICANT = "significant"
WITHIN_NOISE = "within noise"

# figure -> how its noise is judged: ("binomial", count key, trials key), ("nps",), (None,)
TRENDED: dict[str, tuple[str | None, ...]] = {
    "churn_rate": ("binomial", "churned", "accounts_start"),
    "grr": (None,),
    "nrr": (None,),
    "nps": ("nps",),
    "csat_survey_satisfied": ("binomial", None, "csat_survey_responses"),
    "csat_ticket_satisfied": ("binomial", None, "csat_ticket_responses"),
    "adoption_rate": (None,),
    "self_service_rate": (None,),
    "cltv": (None,),
}


def wilson(k: int, n: int, z: float = Z) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n trials (None for n = 0)."""
    if n <= 0:
        return None
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def two_proportion(k1: int, n1: int, k2: int, n2: int, z: float = Z) -> bool | None:
    """Whether k1/n1 and k2/n2 differ beyond noise (pooled two-proportion z-test)."""
    if n1 <= 0 or n2 <= 0:
        return None
    p = (k1 + k2) / (n1 + n2)
    var = p * (1 - p) * (1 / n1 + 1 / n2)
    if var <= 0:
        return False  # both 0 % or both 100 %: no change at all
    return abs(k1 / n1 - k2 / n2) / math.sqrt(var) > z


def _count(f: Figures, name: str, count_key: str | None, trials_key: str) -> tuple[int, int]:
    n = int(f.values.get(trials_key) or 0)
    if count_key is not None:
        return int(f.values.get(count_key) or 0), n
    return round((f.values.get(name) or 0.0) * n), n


def _signal(name: str, now: Figures, then: Figures) -> bool | None:
    model = TRENDED[name]
    if model[0] == "binomial":
        k1, n1 = _count(now, name, model[1], str(model[2]))
        k2, n2 = _count(then, name, model[1], str(model[2]))
        return two_proportion(k1, n1, k2, n2)
    if model[0] == "nps":
        a, b = now.values.get("nps_se"), then.values.get("nps_se")
        if a is None or b is None:
            return None
        se = math.hypot(a, b)
        diff = abs(now.values["nps"] - then.values["nps"])
        return diff > Z * se if se > 0 else diff > 0
    return None


def _no_earlier(name: str, then: Figures) -> str:
    why = then.missing.get(name)
    return f"no {name} in the earlier period" + (f" ({why})" if why else "")


def compare(now: Figures, before: Mapping[str, Figures | None]) -> Figures:
    """<figure>_vs_<label> (the change) and <figure>_vs_<label>_flag ('significant',
    'within noise' or None) of every trended figure, for each earlier period in `before`
    (label -> its figures, None when that period is outside the data)."""
    out = Figures()
    for name in TRENDED:
        value = now.values.get(name)
        for label, then in before.items():
            key = f"{name}_vs_{label}"
            old = None if then is None else then.values.get(name)
            if value is None or old is None:
                why = (
                    f"no {name} this period"
                    if value is None
                    else (
                        "the earlier period is outside the data"
                        if then is None
                        else _no_earlier(name, then)
                    )
                )
                out.put(key, None, why)
                out.put(f"{key}_flag", None, why)
                continue
            assert then is not None  # old is not None
            out.put(key, value - old)
            sig = _signal(name, now, then)
            flag = None if sig is None else (SIGNIFICANT if sig else WITHIN_NOISE)
            out.put(f"{key}_flag", flag, "no noise model for this figure")
    return out
