"""matplotlib set up for files (no display) with one look for every plot of the report."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 9,
                     "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
                     "axes.spines.right": False, "legend.fontsize": 8})


def figure(rows: int = 1, cols: int = 1, width: float = 10, height: float = 4):
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    return fig, axes


def save(fig, path) -> object:
    fig.tight_layout()
    # No timestamp in the file, so a rerun over the same data writes the same bytes.
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def cdf(ax, values, label, **style):
    data = sorted(values)
    if not data:
        return
    n = len(data)
    ax.step(data, [(i + 1) / n for i in range(n)], where="post", label=f"{label} (n={n})",
            **style)
