"""The exception and warning classes of scalecore (one hierarchy, raised by Python and Rust alike)."""

from __future__ import annotations

__all__ = [
    "BandwidthWarning",
    "ChunkLostError",
    "ConvergenceError",
    "ConvergenceWarning",
    "ExtrapolationWarning",
    "IdentifiabilityWarning",
    "InvalidInputError",
    "ScalecoreError",
    "ScalecoreWarning",
]


class ScalecoreError(Exception):
    """Base class of every error scalecore raises on purpose."""


class InvalidInputError(ScalecoreError, ValueError):
    """An argument is unusable; the message names the argument and the offending value."""


class ConvergenceError(ScalecoreError, RuntimeError):
    """A numerical procedure did not converge and strict behaviour was requested."""


class ChunkLostError(ScalecoreError, RuntimeError):
    """A chunk of a `map=` run could not be completed (its workers died); no partial result is returned."""


class ScalecoreWarning(UserWarning):
    """Base class of scalecore's warnings."""


class ConvergenceWarning(ScalecoreWarning):
    """A fit returned without meeting its convergence criteria."""


class BandwidthWarning(ScalecoreWarning):
    """A bandwidth rule could not be computed on these data and another was used (the message says which)."""


class ExtrapolationWarning(ScalecoreWarning):
    """A prediction or allocation lies outside the range of the data it was fitted on."""


class IdentifiabilityWarning(ScalecoreWarning):
    """The data do not pin down some parameters (an ill-conditioned optimum)."""


class DroppedBudgetWarning(ScalecoreWarning):
    """An IsoFLOP budget without a usable minimum (e.g. its lowest loss at the edge of the sweep) was left out."""
