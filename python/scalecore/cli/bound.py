"""`scalecore bound KIND --params JSON`: an information-theoretic error bound's compute-optimal allocation per
budget (--compute), or its value at given parameter and token counts (--p and --T)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .. import bounds
from ..errors import InvalidInputError
from ._common import add_output, emit_json, parse_json, table

# The bounds with constants a user can type (DecomposedBound and RateDistortion take functions).
KINDS: dict[str, Any] = {
    "inverse_linear": bounds.InverseLinear,
    "inverse_log": bounds.InverseLog,
    "power_law": bounds.PowerLaw,
    "finite_teacher": bounds.FiniteTeacher,
    "dirichlet_process_teacher": bounds.DirichletProcessTeacher,
}


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "bound",
        help="an error bound's compute-optimal allocation (--compute) or value (--p, --T)",
        description="Jeon & Van Roy's error bounds (docs/bounds.md): allocate p* and T* under p T = C per budget, "
        "or evaluate the bound at (p, T) pairs, which broadcast.",
    )
    p.add_argument("kind", choices=list(KINDS))
    p.add_argument("--params", required=True, help='the bound\'s constants as JSON, e.g. \'{"a": 1.0, "b": 2.0}\'')
    p.add_argument("--compute", type=float, nargs="+", help="budgets (p T = C)")
    p.add_argument("--p", type=float, nargs="+", help="parameter counts to evaluate at")
    p.add_argument("--T", type=float, nargs="+", help="token counts to evaluate at")
    add_output(p)
    p.set_defaults(run=run)


def make(kind: str, text: str) -> Any:
    constants = parse_json("--params", text)
    if not isinstance(constants, dict):
        raise InvalidInputError(f"--params: expected a JSON object of constants, got {text!r}")
    cls = KINDS[kind]
    known = list(cls.__dataclass_fields__)
    unknown = sorted(set(constants) - set(known))
    if unknown:
        raise InvalidInputError(f"--params: unknown constants {unknown} for {kind}; it takes {known}")
    try:
        return cls(**constants)
    except TypeError as exc:  # a missing constant
        raise InvalidInputError(f"--params: {kind} takes {known} ({exc})") from None


def run(args: argparse.Namespace) -> int:
    bound = make(args.kind, args.params)
    if args.compute is not None:
        alloc = bounds.allocate(bound, args.compute)
        if args.json:
            emit_json({"bound": args.kind, **alloc.to_dict()})
            return 0
        rows = [
            [f"{c:.4g}", p, t, t / p, v, m, e, s]
            for c, p, t, v, m, e, s in zip(
                alloc.compute,
                alloc.p,
                alloc.T,
                alloc.value,
                alloc.misspecification,
                alloc.estimation,
                alloc.local_exponent,
                strict=True,
            )
        ]
        print(f"{args.kind} bound, compute-optimal allocation under p T = C:")
        print(
            table(["compute", "p*", "T*", "T*/p*", "bound", "misspecification", "estimation", "d ln p*/d ln C"], rows)
        )
        return 0
    if args.p is None or args.T is None:
        raise InvalidInputError("--compute: give budgets, or --p and --T to evaluate the bound at")
    terms = bound.terms(np.asarray(args.p), np.asarray(args.T))
    p, t = np.broadcast_arrays(np.asarray(args.p), np.asarray(args.T))
    if args.json:
        emit_json(
            {
                "bound": args.kind,
                "p": p,
                "T": t,
                "value": terms.value,
                "misspecification": terms.misspecification,
                "estimation": terms.estimation,
            }
        )
        return 0
    rows = [list(r) for r in zip(p, t, terms.value, terms.misspecification, terms.estimation, strict=True)]
    print(table(["p", "T", "bound", "misspecification", "estimation"], rows))
    return 0
