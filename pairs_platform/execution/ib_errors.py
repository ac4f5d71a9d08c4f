"""Our IB error policy: one table from IB message code to what the adapter does.

We never trust ib_async's own verdict (ib_async 2.x marks an order ``Cancelled`` on codes it does
not know, e.g. warning 10349 "order TIF was set to DAY", after which IB may still fill it). An
order ends only on a code this table names as terminal, on its fills covering the quantity, or on
a confirmed cancel (202). Every other code is logged; unknown codes are logged as unknown and
change nothing (a human reads the log; reconciliation catches any real divergence).

======================  =====================  ==============================================
codes                   action                 effect
======================  =====================  ==============================================
201, 203, 321,          ``REJECT``             order rejected (terminal); ledger ``rejected``
10289, 10293                                   with the code and IB's text
202                     ``CANCELLED``          cancel confirmed (terminal); ledger ``cancelled``
404                     ``HOLD``               order held (shares to borrow being located);
                                               stays working, logged
1100                    ``HALT``               connectivity IB <-> TWS lost: trading state
                                               HALTED (global, with the cause) for new orders
1101, 1102              ``RESYNC``             connectivity restored: resubscribe, reconcile
2100-2199, 10349, 399   ``LOG``                informational / warnings; logged only
anything else           ``LOG`` (unknown)      logged as unknown; never ends an order
======================  =====================  ==============================================
"""
from __future__ import annotations

from enum import StrEnum


class IBErrorAction(StrEnum):
    """What the adapter does on an IB message code."""

    REJECT = "reject"
    CANCELLED = "cancelled"
    HOLD = "hold"
    HALT = "halt"
    RESYNC = "resync"
    LOG = "log"


IB_ERROR_POLICY: dict[int, IBErrorAction] = {
    201: IBErrorAction.REJECT, 203: IBErrorAction.REJECT, 321: IBErrorAction.REJECT,
    10289: IBErrorAction.REJECT, 10293: IBErrorAction.REJECT,
    202: IBErrorAction.CANCELLED,
    404: IBErrorAction.HOLD,
    1100: IBErrorAction.HALT,
    1101: IBErrorAction.RESYNC, 1102: IBErrorAction.RESYNC,
    10349: IBErrorAction.LOG, 399: IBErrorAction.LOG,
}
INFO_RANGE = range(2100, 2200)
TERMINAL_ACTIONS = frozenset({IBErrorAction.REJECT, IBErrorAction.CANCELLED})


def classify(code: int) -> IBErrorAction:
    """The action for IB message ``code`` (``LOG`` for informational and unknown codes)."""
    if code in IB_ERROR_POLICY:
        return IB_ERROR_POLICY[code]
    return IBErrorAction.LOG


def is_known(code: int) -> bool:
    """True if ``code`` is in the policy table or the informational range 2100-2199."""
    return code in IB_ERROR_POLICY or code in INFO_RANGE
