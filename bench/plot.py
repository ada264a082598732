"""Plot how each step's time grows with N, per backend (python -m bench.plot).

Reads bench/output/scale.json (python -m bench.scale) and writes bench/scale.png:
log-log time against the number of products, one line per step, solid for the
embedded store and dashed for Virtuoso; a step stopped at its budget is drawn
as an open marker at the budget (a lower bound), and meshkg's peak RSS in a
second panel against the 4 GB target.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench._scale_results import HERE, OUTPUT, STEPS, load_results

STYLE = {"embedded": "-", "virtuoso": "--"}
MARK = {"embedded": "o", "virtuoso": "s"}


def plot(results: dict, out: Path) -> Path:
    """Draw the figure from the results; return where it was written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, mem) = plt.subplots(1, 2, figsize=(13, 5.5), width_ratios=(3, 2))
    colors = dict(zip(STEPS, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for backend in STYLE:
        for step in STEPS:
            rows = sorted((r for r in results.values()
                           if r["backend"] == backend and r["step"] == step),
                          key=lambda r: r["n"])
            ok = [(r["n"], r["seconds"]) for r in rows if r["status"] == "ok"]
            over = [(r["n"], r["wall"]) for r in rows if r["status"] == "over budget"]
            if ok:
                ax.plot(*zip(*ok, strict=True), STYLE[backend], marker=MARK[backend],
                        color=colors[step], label=f"{step} ({backend})")
            if over:
                ax.plot(*zip(*over, strict=True), linestyle="none", marker=MARK[backend],
                        markerfacecolor="none", markersize=10, color=colors[step],
                        label=f"{step} ({backend}): over budget")
        rows = sorted((r for r in results.values() if r["backend"] == backend),
                      key=lambda r: r["n"])
        sizes = sorted({r["n"] for r in rows})
        peak = [max(r["peak_rss_mb"] for r in rows if r["n"] == n) / 1000 for n in sizes]
        if sizes:
            mem.plot(sizes, peak, STYLE[backend], marker=MARK[backend],
                     label=f"meshkg, {backend}")
            for n, gb in zip(sizes, peak, strict=True):
                if any(r["n"] == n and r["status"] == "over memory" for r in rows):
                    mem.annotate("stopped at the cap", (n, gb), fontsize=7,
                                 textcoords="offset points", xytext=(-90, -4))
        server = [max((r.get("server_peak_mb") or 0) for r in rows if r["n"] == n) / 1000
                  for n in sizes]
        if any(server):
            mem.plot(sizes, server, ":", marker="^", label="virtuoso-t server")
    ax.set(xscale="log", yscale="log", xlabel="data products (N)", ylabel="seconds",
           title="Time per step against N (p50 where repeated)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    mem.axhline(4, color="red", linewidth=1, label="target: 4 GB")
    mem.set(xscale="log", xlabel="data products (N)", ylabel="GB",
            title="Peak RSS over all steps")
    mem.grid(True, which="both", alpha=0.3)
    mem.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> int:
    """Plot bench/output/scale.json into bench/scale.png."""
    print(plot(load_results(OUTPUT / "scale.json"), HERE / "scale.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
