"""The thin Dagster layer: the only package of pairs_platform that imports dagster."""
import warnings

import dagster as dg

# Beta/preview APIs we rely on knowingly (single-run backfills, partition mappings): not user noise.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

from pairs_platform.defs.definitions import defs  # noqa: E402

__all__ = ["defs"]
