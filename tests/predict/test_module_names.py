"""Every module of the package is reachable as an attribute under its own name.

A package that re-exports a function under a submodule's name (`backtest` from
`healthscore.predict.backtest`) makes `import healthscore.predict.backtest as bt` hand back
the function, and `mock.patch("healthscore.predict.backtest.x")` patch the wrong object.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import healthscore


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(healthscore.__path__, "healthscore.")]


def test_no_package_attribute_shadows_a_submodule() -> None:
    shadowed = []
    for name in _modules():
        module = importlib.import_module(name)
        parent, _, leaf = name.rpartition(".")
        attr = getattr(importlib.import_module(parent), leaf)
        if attr is not module:
            shadowed.append(f"{name} is {type(attr).__name__} {attr!r}")
    assert not shadowed


def test_backtest_is_a_module_and_its_entry_point_is_run_backtest() -> None:
    import healthscore.predict.backtest as bt
    from healthscore.predict import compute_insights, run_backtest
    from healthscore.scoring import explain_account, preview_scorecard

    assert isinstance(bt, types.ModuleType) and bt.run_backtest is run_backtest
    assert compute_insights.__module__ == "healthscore.predict.insights"
    assert explain_account.__module__ == "healthscore.scoring.explain"
    assert preview_scorecard.__module__ == "healthscore.scoring.preview"
