"""Shared by the figure scripts: write a matplotlib figure under docs/figures/."""

import os

FIGURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                       "figures")


def save_figure(fig, path, dpi=120):
    """Lay out ``fig``, create the folder of ``path`` and write it there."""
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=dpi)
    print("wrote", path)
