"""Drop-in replacements for the peers' interfaces, on scalecore's engine: change the import, keep the code.

- `bootstrap`: scipy.stats.bootstrap's signature and result type (`confidence_interval`,
  `bootstrap_distribution`, `standard_error`).
- `gaussian_kde`: scipy.stats.gaussian_kde's class interface.
- `FFTKDE`, `NaiveKDE`: KDEpy's `fit(data, weights).evaluate(grid)` interface.

Deliberate differences are listed in each module's docstring.
"""

from .bootstrap import BootstrapResult, ConfidenceInterval, bootstrap
from .gaussian_kde import gaussian_kde
from .kdepy import FFTKDE, NaiveKDE

__all__ = ["FFTKDE", "BootstrapResult", "ConfidenceInterval", "NaiveKDE", "bootstrap", "gaussian_kde"]
