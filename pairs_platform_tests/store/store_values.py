"""Values of every type the asset graph produces, built directly with the core functions
(not a test module), and a deep equality check for them."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from pairs_platform.backtest import run_backtest
from pairs_platform.backtest.params import StrategyParams
from pairs_platform.ml.training import train_entry_filter
from pairs_platform.ml.walkforward import FilterSegment
from pairs_platform.signals.spreads import spread_panel


def prices(n_days: int = 300, seed: int = 1) -> pd.DataFrame:
    """Two cointegrated pairs on business days (wide closes)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n_days, name="date")
    x = np.log(50.0) + np.cumsum(rng.normal(0, 0.01, (n_days, 2)), axis=0)
    y = 0.9 * x + 0.2 + rng.normal(0, 0.01, (n_days, 2))
    return pd.DataFrame(np.exp(np.hstack([y, x])), index=dates, columns=["EQ:Y0", "EQ:Y1", "EQ:X0", "EQ:X1"])


def schedule(panel: pd.DataFrame) -> pd.DataFrame:
    d = panel.index
    return pd.DataFrame({"window_id": ["w0", "w0"], "y": ["EQ:Y0", "EQ:Y1"], "x": ["EQ:X0", "EQ:X1"],
                         "beta": [0.9, 0.9], "alpha": [0.2, 0.2], "spread_mean": [0.0, 0.0],
                         "spread_std": [0.01, 0.01], "half_life": [3.0, 3.0], "pvalue": [0.01, 0.01],
                         "formation_start": d[0], "formation_end": d[99],
                         "trade_start": d[100], "trade_end": d[-1]})


def spreads():
    panel = prices()
    return spread_panel(panel, schedule(panel))


def backtest():
    panel = prices()
    return run_backtest(panel, schedule(panel), params=StrategyParams(entry_z=1.5))


def trained_filter(model: str):
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2020-01-01", periods=120, name="date")
    index = pd.MultiIndex.from_product([dates, ["w0|EQ:A~EQ:B", "w0|EQ:C~EQ:D"]], names=["date", "pair_id"])
    features = pd.DataFrame({"signal": rng.normal(size=len(index)), "noise": rng.normal(size=len(index))},
                            index=index)
    labels = pd.Series((features["signal"] + rng.normal(0, 0.5, len(index)) > 0).astype(float), index=index)
    label_end = pd.Series(index.get_level_values("date") + pd.Timedelta(days=3), index=index)
    return train_entry_filter(features, labels, label_end, cutoff=dates[-1], model=model, min_samples=20,
                              model_params={"n_estimators": 5} if model == "random_forest" else None), features


def signal_model(model: str = "gradient_boosting") -> dict:
    """The ``signal_model`` asset's shape: walk-forward segments (one without a model) and registry."""
    trained, _ = trained_filter(model)
    start = pd.Timestamp("2020-07-01")
    return {"segments": [FilterSegment(pd.Timestamp("2020-01-01"), start, None, 3),
                         FilterSegment(start, pd.Timestamp.max, trained, 240)],
            "registry": {"run_id": "abc", "version": 3, "registered_model_uri": "models:/f@champion"}}


def assert_same(a, b, where: str = "value") -> None:
    """Deep equality of stored values (frames and arrays exactly, estimators by their parameters; a
    numpy scalar comes back as the Python number it equals)."""
    if isinstance(a, np.generic):
        a = a.item()
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b, obj=where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
        assert a.dtype == b.dtype, where
    elif dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            assert_same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif hasattr(a, "predict_proba"):
        assert repr(a) == repr(b), where
    elif a is pd.NaT:
        assert b is pd.NaT, where
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
