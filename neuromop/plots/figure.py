"""The one way figures reach disk: :func:`save_figure` (atomic, closes the figure)."""

from __future__ import annotations

from pathlib import Path

from neuromop._io import atomic_path

__all__ = ["save_figure"]


def save_figure(fig, path: str | Path, dpi: int = 120, **savefig_kwargs) -> Path:
    """Save ``fig`` to ``path`` atomically (no half-written file) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path-like
        Target file; its suffix gives the format (default PNG). Parent folders are created.
    dpi : int
        Resolution (dots per inch).
    **savefig_kwargs
        Passed to ``Figure.savefig`` (e.g. ``bbox_inches="tight"``).

    Returns
    -------
    pathlib.Path
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png", **savefig_kwargs)
    plt.close(fig)
    return path


def _time_label(time) -> str:
    """Axis label of a ``time`` coordinate with its ``units`` attr (``"time (s)"`` if none).

    Parameters
    ----------
    time : xarray.DataArray
        A ``time`` coordinate (rollouts of a rate RNN carry ``"tau"``, recordings ``"s"``).

    Returns
    -------
    str
    """
    return f"time ({time.attrs.get('units', 's')})"
