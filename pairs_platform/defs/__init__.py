"""The thin Dagster layer: the only package of pairs_platform that imports dagster."""
import warnings

# skops (the model codec) looks up the module of every numpy and scipy ufunc when it is imported, by
# scanning sys.modules: imported first, before Dagster, MLflow and pandas fill sys.modules, it costs
# a process ~2 s less than when the first model read imports it (docs/scale.md).
import skops.io  # noqa: F401,I001

import dagster as dg

# Beta/preview APIs we rely on knowingly (single-run backfills, partition mappings): not user noise.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

from pairs_platform.defs.definitions import defs  # noqa: E402

__all__ = ["defs"]
