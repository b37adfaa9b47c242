"""Drop-in replacements for the peers' interfaces, on scalecore's engine: change the import, keep the code.

- `bootstrap`: scipy.stats.bootstrap's signature and result type (`confidence_interval`,
  `bootstrap_distribution`, `standard_error`).
- `gaussian_kde`: scipy.stats.gaussian_kde's class interface.
- `FFTKDE`, `NaiveKDE`: KDEpy's `fit(data, weights).evaluate(grid)` interface.

Deliberate differences are listed in each module's docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy

if TYPE_CHECKING:
    from .bootstrap import BootstrapResult, ConfidenceInterval, bootstrap
    from .gaussian_kde import gaussian_kde
    from .kdepy import FFTKDE, NaiveKDE

# Imported on first use (scalecore._lazy): public name -> the module it comes from.
_LAZY: dict[str, str | None] = {
    "FFTKDE": ".kdepy",
    "BootstrapResult": ".bootstrap",
    "ConfidenceInterval": ".bootstrap",
    "NaiveKDE": ".kdepy",
    "bootstrap": ".bootstrap",
    "gaussian_kde": ".gaussian_kde",
}

__all__ = ["FFTKDE", "BootstrapResult", "ConfidenceInterval", "NaiveKDE", "bootstrap", "gaussian_kde"]

__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, __all__)
