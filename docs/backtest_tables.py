"""Regenerate the tables of docs/backtest.md from ../shared/data (run from the repository root):
python docs/backtest_tables.py"""

from __future__ import annotations

import csv
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import scalecore as sc

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "revisiting2022" / "curves.csv"
LAWS = ["power", "m4", "bnsl"]


def revisiting_table() -> None:
    with DATA.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    curves: OrderedDict[tuple[str, str], list[dict[str, str]]] = OrderedDict()
    for r in rows:
        curves.setdefault((r["Domain"], r["Model"]), []).append(r)
    print("| curve | fit / held out | " + " | ".join(LAWS) + " | best |")
    print("|---|---|" + "---|" * (len(LAWS) + 1))
    ranks = {law: [] for law in LAWS}
    for (domain, model), rs in curves.items():
        runs = sc.Runs(x=[float(r["Seen Examples"]) for r in rs], loss=[float(r["Loss"]) for r in rs])
        train = np.array([r["Training"] == "1" for r in rs])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sc.ScalecoreWarning)
            table = sc.backtest_table(runs, LAWS, split=train, rank_by="rms_log_error")
        err = {r.law: r.score("rms_log_error") for r in table.results}
        for k, r in enumerate(table.results):
            ranks[r.law].append(k + 1)
        cells = " | ".join(f"{err[law]:.4f}" for law in LAWS)
        print(f"| {domain} {model} | {train.sum()} / {(~train).sum()} | {cells} | {table.best.law} |")
    print("| mean rank | | " + " | ".join(f"{np.mean(ranks[law]):.2f}" for law in LAWS) + " | |")


if __name__ == "__main__":
    revisiting_table()
