"""The one instrument table for equities, futures, fixed income and crypto.

One ``pd.DataFrame`` indexed by ``instrument_id`` (``CLASS:SYMBOL``) with the columns in
``INSTRUMENT_COLUMNS`` (see docs/architecture.md) plus ``data_source`` ('bundled' | 'synthetic' | 'user'),
so that synthetic rows are never mistaken for real ones.

``lot_size`` is a float: 1 for equities, bonds and futures, fractional (e.g. 0.0001 BTC) for crypto.

``roll_rule`` (futures only, '' otherwise) reads ``"<months>:<expiry>:<roll_days>"``: the listed
contract month codes (``HMUZ`` quarterly, ``FGHJKMNQUVXZ`` monthly), the expiry rule
(``third_friday`` of the contract month, or ``prior_month_20th``: the last trading day on or before the
20th of the month before the contract month, as for crude oil) and how many trading days before the
expiry the position rolls to the next contract.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pairs_platform.data.errors import DataQualityError
from pairs_platform import identifiers
from pairs_platform.identifiers import ASSET_CLASSES, ID_PREFIX

MONTH_CODES = "FGHJKMNQUVXZ"
EXPIRY_RULES = ("third_friday", "prior_month_20th")

INSTRUMENT_COLUMNS: dict[str, str] = {
    "symbol": "string", "asset_class": "string", "currency": "string", "exchange": "string",
    "calendar": "string", "multiplier": "float64", "tick_size": "float64", "lot_size": "float64",
    "shortable": "bool", "sector": "string", "roll_rule": "string", "borrow_fee_bps": "float64",
    "data_source": "string",
}

# (symbol, sector, exchange, borrow_fee_bps) for the 20 real stocks of the bundled file.
_BUNDLED_EQUITIES = [
    ("AAPL", "Information Technology", "NASDAQ", 25), ("AMD", "Information Technology", "NASDAQ", 30),
    ("BAC", "Financials", "NYSE", 25), ("BBY", "Consumer Discretionary", "NYSE", 35),
    ("CVX", "Energy", "NYSE", 25), ("GE", "Industrials", "NYSE", 25),
    ("HD", "Consumer Discretionary", "NYSE", 25), ("JNJ", "Health Care", "NYSE", 25),
    ("JPM", "Financials", "NYSE", 25), ("KO", "Consumer Staples", "NYSE", 25),
    ("LLY", "Health Care", "NYSE", 25), ("MRK", "Health Care", "NYSE", 25),
    ("MSFT", "Information Technology", "NASDAQ", 25), ("PEP", "Consumer Staples", "NASDAQ", 25),
    ("PFE", "Health Care", "NYSE", 25), ("PG", "Consumer Staples", "NYSE", 25),
    ("RRC", "Energy", "NYSE", 60), ("UNH", "Health Care", "NYSE", 25),
    ("WMT", "Consumer Staples", "NYSE", 25), ("XOM", "Energy", "NYSE", 25),
]
#: Sector (so economic group) of the bundled factor ETFs: they pair with each other only.
ETF_SECTOR = "Equity Factors"
# (symbol, exchange, borrow_fee_bps) of the 5 real iShares MSCI USA factor ETFs of the bundled
# factors file (2014-01-02..2022-12-28; data/bundled/PROVENANCE.md).
_BUNDLED_ETFS = [("MTUM", "NYSEARCA", 25), ("QUAL", "NYSEARCA", 25), ("SIZE", "NYSEARCA", 25),
                 ("USMV", "NYSEARCA", 25), ("VLUE", "NYSEARCA", 25)]
_SYNTHETIC_EQUITIES = [("SYNA", "Energy"), ("SYNB", "Energy"), ("SYNC", "Financials"),
                       ("SYND", "Financials"), ("SYNE", "Information Technology"), ("SYNF", "Utilities")]
# (symbol, sector, exchange, multiplier, tick, roll_rule)
_FUTURES = [
    ("ES", "Equity Index", "CME", 50.0, 0.25, "HMUZ:third_friday:5"),
    ("NQ", "Equity Index", "CME", 20.0, 0.25, "HMUZ:third_friday:5"),
    ("CL", "Energy", "NYMEX", 1000.0, 0.01, "FGHJKMNQUVXZ:prior_month_20th:3"),
    ("HO", "Energy", "NYMEX", 42000.0, 0.0001, "FGHJKMNQUVXZ:prior_month_20th:3"),
    ("GC", "Metals", "COMEX", 100.0, 0.1, "GJMQVZ:third_friday:5"),
    ("ZN", "Rates", "CBOT", 1000.0, 0.015625, "HMUZ:third_friday:5"),
]
# (symbol, sector, tick, borrow_fee_bps)
_FIXED_INCOME = [("UST2Y", "Government", 1 / 128, 10), ("UST5Y", "Government", 1 / 128, 10),
                 ("UST10Y", "Government", 1 / 64, 10), ("UST30Y", "Government", 1 / 32, 10),
                 ("IG5Y", "Corporate", 0.01, 60), ("TIPS10Y", "Inflation-Linked", 0.01, 30)]
# (symbol, lot_size, tick, shortable, borrow_fee_bps)
_CRYPTO = [("BTC-USD", 0.0001, 0.01, True, 500), ("ETH-USD", 0.001, 0.01, True, 600),
           ("SOL-USD", 0.01, 0.001, False, 0), ("LTC-USD", 0.01, 0.01, False, 0),
           ("XRP-USD", 1.0, 0.0001, False, 0)]


@dataclass(frozen=True)
class RollRule:
    """Parsed futures roll rule: listed months, expiry rule, roll days before expiry."""

    months: str
    expiry: str
    roll_days: int

    @classmethod
    def parse(cls, text: str, instrument_id: str = "") -> "RollRule":
        """Parse ``"<months>:<expiry>:<roll_days>"``; raise ``DataQualityError`` naming the problem."""
        parts = str(text).split(":")
        ok = (len(parts) == 3 and parts[0] and set(parts[0]) <= set(MONTH_CODES)
              and parts[1] in EXPIRY_RULES and parts[2].isdigit())
        if not ok:
            raise DataQualityError(instrument_id, None, "roll_rule", f"cannot parse roll rule {text!r}",
                                   f"write '<months>:<expiry>:<roll_days>' with months from "
                                   f"{MONTH_CODES}, expiry one of {EXPIRY_RULES}, e.g. 'HMUZ:third_friday:5'")
        months = "".join(sorted(parts[0], key=MONTH_CODES.index))
        return cls(months, parts[1], int(parts[2]))


def asset_class_of(instrument_id: str) -> str:
    """Asset class from the id prefix (``EQ:`` equity, ``FUT:`` future, ``FI:`` fixed_income, ``CRYPTO:``).

    The grammar is the one of :mod:`pairs_platform.identifiers`; a malformed id raises
    :class:`DataQualityError` naming it and the fix.
    """
    try:
        return identifiers.asset_class_of(instrument_id)
    except identifiers.InvalidIdentifier as error:
        raise DataQualityError(str(instrument_id), None, "instrument_id", "id is not CLASS:SYMBOL",
                               f"use one of the prefixes {sorted(ID_PREFIX)}, e.g. 'EQ:KO', 'FUT:CL' ({error})") from None


def _row(cls_prefix, symbol, asset_class, *, currency="USD", exchange, calendar="NYSE", multiplier=1.0,
         tick_size=0.01, lot_size=1.0, shortable=True, sector, roll_rule="", borrow_fee_bps=0.0,
         data_source="synthetic") -> dict:
    return {"instrument_id": f"{cls_prefix}:{symbol}", "symbol": symbol, "asset_class": asset_class,
            "currency": currency, "exchange": exchange, "calendar": calendar, "multiplier": multiplier,
            "tick_size": tick_size, "lot_size": lot_size, "shortable": shortable, "sector": sector,
            "roll_rule": roll_rule, "borrow_fee_bps": float(borrow_fee_bps), "data_source": data_source}


def _default_rows() -> list[dict]:
    rows = [_row("EQ", s, "equity", exchange=ex, sector=sec, borrow_fee_bps=fee, data_source="bundled")
            for s, sec, ex, fee in _BUNDLED_EQUITIES]
    rows += [_row("EQ", s, "equity", exchange=ex, sector=ETF_SECTOR, borrow_fee_bps=fee, data_source="bundled")
             for s, ex, fee in _BUNDLED_ETFS]
    rows += [_row("EQ", s, "equity", exchange="NYSE", sector=sec, borrow_fee_bps=25)
             for s, sec in _SYNTHETIC_EQUITIES]
    rows += [_row("FUT", s, "future", exchange=ex, calendar="CME", multiplier=m, tick_size=t, sector=sec,
                  roll_rule=rr) for s, sec, ex, m, t, rr in _FUTURES]
    rows += [_row("FI", s, "fixed_income", exchange="OTC", tick_size=t, sector=sec, borrow_fee_bps=fee)
             for s, sec, t, fee in _FIXED_INCOME]
    rows += [_row("CRYPTO", s, "crypto", exchange="COINBASE", calendar="24/7", tick_size=t, lot_size=lot,
                  shortable=sh, sector="Crypto", borrow_fee_bps=fee) for s, lot, t, sh, fee in _CRYPTO]
    return rows


def default_instruments() -> pd.DataFrame:
    """The platform's instrument table: the 20 bundled (real) stocks and 5 bundled (real) factor ETFs
    (equities, sector :data:`ETF_SECTOR`) plus synthetic instruments of all four asset classes
    (``data_source == 'synthetic'``: made-up prices from ``SyntheticSource``). A fresh copy each call."""
    return _validated_defaults().copy()


@functools.lru_cache(maxsize=1)
def _validated_defaults() -> pd.DataFrame:
    """The default table, built and validated once per process (every source asks for it)."""
    return validate_instruments(pd.DataFrame(_default_rows()).set_index("instrument_id"))


def _check_values(table: pd.DataFrame) -> None:
    def bad(mask, field, problem, fix):
        if mask.any():
            iid = mask[mask].index[0]
            raise DataQualityError(iid, None, field, f"{problem} ({int(mask.sum())} row(s))", fix)

    bad(~table["asset_class"].isin(ASSET_CLASSES), "asset_class", "unknown asset class",
        f"use one of {ASSET_CLASSES}")
    prefix_class = pd.Series([ID_PREFIX.get(i.split(":", 1)[0]) for i in table.index], index=table.index)
    bad(prefix_class.isna(), "instrument_id", "id is not CLASS:SYMBOL with a known prefix",
        f"use one of the prefixes {sorted(ID_PREFIX)}")
    bad(prefix_class != table["asset_class"], "asset_class", "asset class disagrees with the id prefix",
        "fix the prefix (EQ/FUT/FI/CRYPTO) or the asset_class")
    for col in ("multiplier", "tick_size", "lot_size"):
        bad(~(table[col] > 0), col, "must be a positive number", f"set a positive {col}")
    bad(table["borrow_fee_bps"].isna() | (table["borrow_fee_bps"] < 0), "borrow_fee_bps",
        "must be >= 0", "set an annual borrow fee in basis points (0 if none)")
    is_future = table["asset_class"] == "future"
    bad(is_future & (table["roll_rule"] == ""), "roll_rule", "futures need a roll rule",
        "set roll_rule, e.g. 'HMUZ:third_friday:5'")
    bad(~is_future & (table["roll_rule"] != ""), "roll_rule", "only futures have a roll rule",
        "leave roll_rule empty for non-futures")
    for iid, rule in table.loc[is_future, "roll_rule"].items():
        RollRule.parse(rule, iid)


def validate_instruments(table: pd.DataFrame) -> pd.DataFrame:
    """Check an instrument table and return it with canonical column order and dtypes.

    Raises ``DataQualityError`` naming the instrument, field and fix for: missing columns, duplicate
    or malformed ids, unknown asset classes, non-positive multiplier/tick/lot, bad roll rules.
    """
    table = table.copy()
    if "instrument_id" in table.columns:
        table = table.set_index("instrument_id")
    table.index = table.index.astype(str)
    table.index.name = "instrument_id"
    if "data_source" not in table.columns:
        table["data_source"] = "user"
    for col, default in (("roll_rule", ""), ("sector", ""), ("borrow_fee_bps", 0.0)):
        if col not in table.columns:
            table[col] = default
    missing = [c for c in INSTRUMENT_COLUMNS if c not in table.columns]
    if missing:
        raise DataQualityError(None, None, ",".join(missing), "instrument table lacks columns",
                               f"add the columns {missing} (see docs/data.md)")
    dup = table.index[table.index.duplicated()]
    if len(dup):
        raise DataQualityError(dup[0], None, "instrument_id", "duplicate instrument id",
                               "keep one row per instrument id")
    table = table[list(INSTRUMENT_COLUMNS)]
    for col in ("roll_rule", "sector"):
        table[col] = table[col].fillna("")
    try:
        table = table.astype({c: t for c, t in INSTRUMENT_COLUMNS.items() if t != "bool"})
    except (ValueError, TypeError) as exc:
        raise DataQualityError(None, None, "multiplier/tick_size/lot_size/borrow_fee_bps",
                               f"non-numeric value: {exc}", "write plain numbers") from exc
    table["shortable"] = _to_bool(table["shortable"])
    _check_values(table)
    return table.astype({c: str for c, t in INSTRUMENT_COLUMNS.items() if t == "string"}).sort_index()


def _to_bool(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.lower()
    mapped = text.map({"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False,
                       "1.0": True, "0.0": False})
    if mapped.isna().any():
        iid = mapped[mapped.isna()].index[0]
        raise DataQualityError(iid, None, "shortable", f"not a boolean: {values[iid]!r}",
                               "write true/false")
    return mapped.astype(bool)


def instruments_from_csv(path: str | Path) -> pd.DataFrame:
    """Read a user's instrument table (a CSV with ``instrument_id`` and the columns of
    ``INSTRUMENT_COLUMNS``; ``data_source``, ``roll_rule``, ``sector``, ``borrow_fee_bps`` optional)."""
    table = pd.read_csv(path, dtype={"roll_rule": str, "sector": str}, keep_default_na=False,
                        na_values={c: [""] for c in ("multiplier", "tick_size", "lot_size", "borrow_fee_bps")})
    if "instrument_id" not in table.columns:
        raise DataQualityError(None, None, "instrument_id", f"{path} has no instrument_id column",
                               "add an instrument_id column with ids like 'EQ:KO'")
    return validate_instruments(table)
