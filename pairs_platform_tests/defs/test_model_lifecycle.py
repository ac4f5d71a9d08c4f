"""Issue 11 in the graph: challenger registration and promotion gate, signals on the champion,
drift and decay checks, and regimes refit at every retrain cutoff by the configured method."""
import dagster as dg
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from pairs_platform.defs.research.assets import regimes
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml.regimes import UNKNOWN


def _latest(instance, key: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_signal_model_registers_a_challenger_and_records_the_gate(pipeline):
    defs, instance, root, _ = pipeline
    meta = _latest(instance, "signal_model")
    assert {"gate_promoted", "gate_reason", "gate_challenger_version"} <= set(meta)
    version = str(meta["model_version"])
    assert str(meta["gate_challenger_version"]) == version
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}")
    registered = client.get_registered_model("pairs_entry_filter")
    expected_alias = "champion" if meta["gate_promoted"] else "challenger"
    assert str(registered.aliases.get(expected_alias)) == version, (registered.aliases, meta["gate_reason"])
    if not meta["gate_reason"].startswith("gate not evaluated"):
        tags = client.get_model_version("pairs_entry_filter", version).tags
        assert tags["gate_decision"] == ("promoted" if meta["gate_promoted"] else "rejected")
        assert tags["gate_reason"] == meta["gate_reason"]


def test_signals_record_the_champion_version_they_used(pipeline):
    _, instance, root, _ = pipeline
    meta = _latest(instance, "signals")
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}")
    champion = client.get_registered_model("pairs_entry_filter").aliases.get("champion")
    assert meta["champion_version"] == ("none" if champion is None else str(champion))


def test_drift_and_decay_checks_run_with_the_pipeline(pipeline):
    _, _, _, result = pipeline
    checks = {e.event_specific_data.check_name: e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert {"ml_features_drift", "signals_performance_decay"} <= set(checks)
    drift = checks["ml_features_drift"]
    assert drift.severity == dg.AssetCheckSeverity.WARN
    assert drift.metadata["judged"].value is True and "psi" in drift.metadata["table"].value


def _prices(n_days: int = 700, n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    vol = np.where(np.arange(n_days) % 200 < 100, 0.008, 0.03)[:, None]  # calm and turbulent spells
    returns = rng.normal(0.0, 1.0, (n_days, n)) * vol
    dates = pd.bdate_range("2019-01-01", periods=n_days, name="date")
    return pd.DataFrame(100 * np.exp(np.cumsum(returns, axis=0)), index=dates,
                        columns=[f"EQ:S{i}" for i in range(n)])


@pytest.mark.parametrize("method", ["volatility", "gmm"])
def test_regimes_are_refit_at_each_retrain_cutoff_by_the_configured_method(method):
    prices = _prices()
    universe = pd.DataFrame({"trade_start": [prices.index[300]]})
    strategy = StrategyResource(regime_method=method, ml_retrain_days=100)
    out = regimes(strategy=strategy, price_panel=prices, pair_universe=universe)
    labels = out.value
    meta = {k: getattr(v, "value", v) for k, v in out.metadata.items()}
    assert meta["method"] == method and meta["refits"] == 4
    assert (labels.iloc[:300] == UNKNOWN).all()  # nothing is labelled before the first cutoff
    assert set(labels.iloc[300:].unique()) <= {0, 1, 2} and labels.iloc[300:].nunique() >= 2
    truncated = regimes(strategy=strategy, price_panel=prices.iloc[:450], pair_universe=universe).value
    pd.testing.assert_series_equal(truncated, labels.iloc[:450])  # causal: later prices change nothing


def test_signals_follow_the_champion_after_its_cutoff(pipeline):
    """An older model made champion scores every session from its own cutoff; history before it
    keeps the walk-forward verdicts, and the sessions the newer segments scored change."""
    from pairs_platform.defs.shared.resources import MLflowResource
    from pairs_platform.defs.trading.assets import signals
    from pairs_platform.store import AssetStore
    from pairs_platform.tracking.lifecycle import RegistryTarget, promote, register_challenger

    _, _, root, _ = pipeline
    store = AssetStore(root / "assets")
    model = store.load(["signal_model"])
    trained = [s.model for s in model["segments"] if s.model is not None]
    assert len(trained) >= 2, "the short pipeline should train at least two walk-forward models"
    older, newest = trained[-2], trained[-1]
    uri = f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"
    target = RegistryTarget(uri, "pairs_entry_filter")
    features = store.load(["ml_features"])
    client = MlflowClient(tracking_uri=uri)
    aliases = dict(client.get_registered_model("pairs_entry_filter").aliases)  # restored for the other tests
    info = register_challenger(older, target, "pairs_platform", features.head(5))
    promote(target, int(info["version"]), "test: signals follow the champion")
    try:
        out = signals(strategy=StrategyResource(formation_days=120, trading_days=40, ml_retrain_days=60,
                                                ml_min_training_samples=20),
                      mlflow=MLflowResource(tracking_uri=uri), spreads=store.load(["spreads"]),
                      ml_features=features, signal_model=model, regimes=store.load(["regimes"]))
    finally:
        for alias in ("champion", "challenger"):
            if alias in aliases:
                client.set_registered_model_alias("pairs_entry_filter", alias, str(aliases[alias]))
            else:
                client.delete_registered_model_alias("pairs_entry_filter", alias)
    assert out.metadata["champion_version"].value == str(info["version"])
    table, before = out.value.set_index(["date", "pair_id"]), store.load(["signals"]).set_index(["date", "pair_id"])
    dates = table.index.get_level_values("date")
    late = (dates >= newest.cutoff) & table.index.isin(features.index)
    expected = older.predict_proba(features.reindex(table.index[late])).to_numpy()
    np.testing.assert_allclose(table.loc[late, "ml_proba"].to_numpy(), expected)
    assert not np.allclose(table.loc[late, "ml_proba"], before.loc[late, "ml_proba"], equal_nan=True)
    early = dates < older.cutoff
    pd.testing.assert_series_equal(table.loc[early, "ml_proba"], before.loc[early, "ml_proba"])
