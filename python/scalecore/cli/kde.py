"""`scalecore kde FILE --column NAME`: kernel density of one column, its mode, highest-density interval and
quantiles."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ..kde import KDE, KERNELS
from ._common import add_output, column, emit_json, read_table, save_figure


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("kde", help="kernel density of one column of a CSV or Parquet file")
    p.add_argument("file")
    p.add_argument("--column", required=True, help="the column whose values to estimate the density of")
    p.add_argument("--bandwidth", default="isj_botev", help="a rule name (see docs/kde.md) or a number")
    p.add_argument("--kernel", default="gaussian", choices=KERNELS)
    p.add_argument("--grid", type=int, default=512, help="grid points for --json output and the plot")
    add_output(p, plot="the density")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    values = column(read_table(args.file), args.column, args.file)
    if values.dtype.kind not in "fiu":
        raise InvalidInputError(f"--column: {args.column!r} of {args.file!r} is not numeric")
    bandwidth: Any = args.bandwidth
    with contextlib.suppress(ValueError):  # a number, else a rule name
        bandwidth = float(bandwidth)
    kde = KDE(values, bandwidth=bandwidth, kernel=args.kernel)
    x, density = kde.grid(args.grid)
    hdi = kde.hdi(0.95)
    quantiles = kde.quantile([0.05, 0.5, 0.95])
    if args.json:
        emit_json(
            {
                "n": kde.n,
                "bandwidth": kde.bandwidth,
                "rule": kde.rule,
                "mode": kde.mode(),
                "hdi_95": hdi,
                "quantiles": {"0.05": quantiles[0], "0.5": quantiles[1], "0.95": quantiles[2]},
                "x": x,
                "density": density,
            }
        )
    else:
        region = " and ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in hdi)
        print(f"{kde.n} values of {args.column}; bandwidth {float(np.ravel(kde.bandwidth)[0]):.6g} ({kde.rule})")
        print(f"mode {float(np.ravel(kde.mode())[0]):.6g}; 95 % highest-density interval {region}")
        print(f"quantiles 5/50/95 %: {', '.join(f'{q:.6g}' for q in quantiles)}")
    if args.plot:
        save_figure(_figure(x, density, values, args.column), args.plot)
    return 0


def _figure(x: Any, density: Any, values: Any, name: str) -> Any:
    from ..plot._common import OKABE_ITO, figure, style

    fig = figure((5.0, 3.2))
    ax = fig.add_subplot()
    ax.plot(x, density, color=OKABE_ITO[0])
    ax.plot(values, np.zeros_like(values), "|", color=OKABE_ITO[1], alpha=0.5)
    ax.set_xlabel(name)
    ax.set_ylabel("density")
    style(ax)
    return fig
