"""The strategy's launchpad resource, generated from the core ``StrategyConfig``.

Every research, model, trading and execution asset reads the same resource, so they never disagree;
its fields, types, defaults and descriptions are those of :class:`pairs_platform.strategy.StrategyConfig`
(see ``launchpad.py``). Assets call ``strategy.config()`` and use the core object.
"""
from pairs_platform.defs.shared.launchpad import launchpad_resource
from pairs_platform.strategy import StrategyConfig

StrategyResource = launchpad_resource(StrategyConfig, "StrategyResource")
