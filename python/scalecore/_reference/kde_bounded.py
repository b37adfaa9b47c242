"""Pure-NumPy oracles for bounded and per-dimension kernel density estimates (tests only).

Reflection (Silverman 1986, section 2.10): on [lo, hi] the density is the plain estimate of the sample and of
all its mirror images in the two bounds, sum over m of K_h(q - x - 2mL) + K_h(q - (2 lo - x) - 2mL), L = hi - lo;
with one bound, the sample and its one mirror image. Written as the literal double sum over a range of m.
"""

from __future__ import annotations

import numpy as np

from .kde import FloatArray, kernel_cdf, kernel_pdf


def _images(x: FloatArray, lo: float, hi: float, orders: int) -> FloatArray:
    if np.isfinite(lo) and np.isfinite(hi):
        period = 2.0 * (hi - lo)
        shifts = period * np.arange(-orders, orders + 1)
        return np.concatenate([(x[:, None] + shifts).ravel(), ((2 * lo - x)[:, None] + shifts).ravel()])
    if np.isfinite(lo):
        return np.concatenate([x, 2 * lo - x])
    return np.concatenate([x, 2 * hi - x])


def _image_weights(x: FloatArray, w: FloatArray | None, lo: float, hi: float, orders: int) -> FloatArray:
    """The weight of each image, laid out as `_images` lays out the images."""
    wx = np.full(len(x), 1.0 / len(x)) if w is None else np.asarray(w, np.float64) / np.sum(w)
    if np.isfinite(lo) and np.isfinite(hi):
        return np.concatenate([np.repeat(wx, 2 * orders + 1)] * 2)
    return np.concatenate([wx, wx])


def reflected_pdf(
    x: FloatArray,
    h: float,
    q: FloatArray,
    lo: float,
    hi: float,
    kernel: str = "gaussian",
    w: FloatArray | None = None,
    orders: int = 30,
) -> FloatArray:
    """The reflected density at q: 0 outside [lo, hi]."""
    x = np.asarray(x, np.float64)
    q = np.asarray(q, np.float64)
    y = _images(x, lo, hi, orders)
    wy = _image_weights(x, w, lo, hi, orders)
    f = np.sum(wy * kernel_pdf(kernel, (q[:, None] - y[None, :]) / h), axis=1) / h
    return np.where((q >= lo) & (q <= hi), f, 0.0)


def reflected_cdf(
    x: FloatArray,
    h: float,
    q: FloatArray,
    lo: float,
    hi: float,
    kernel: str = "gaussian",
    w: FloatArray | None = None,
    orders: int = 30,
) -> FloatArray:
    """P(X <= q) of the reflected estimate: the images' kernel mass between lo and q."""
    x = np.asarray(x, np.float64)
    q = np.clip(np.asarray(q, np.float64), lo, hi)
    y = _images(x, lo, hi, orders)
    wy = _image_weights(x, w, lo, hi, orders)
    start = kernel_cdf(kernel, (lo - y) / h) if np.isfinite(lo) else 0.0
    return np.asarray(np.sum(wy * (kernel_cdf(kernel, (q[:, None] - y[None, :]) / h) - start), axis=1))


def product_pdf(x: FloatArray, h: FloatArray, q: FloatArray, w: FloatArray | None = None) -> FloatArray:
    """Gaussian product kernel with one standard deviation per dimension: prod_j phi((q_j - x_ij) / h_j) / h_j."""
    x, q, h = np.asarray(x, np.float64), np.asarray(q, np.float64), np.asarray(h, np.float64)
    wx = np.full(len(x), 1.0 / len(x)) if w is None else np.asarray(w, np.float64) / np.sum(w)
    z = (q[:, None, :] - x[None, :, :]) / h
    k = np.prod(np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * h), axis=2)
    return np.asarray(k @ wx)
