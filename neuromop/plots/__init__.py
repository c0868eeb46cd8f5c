"""Matplotlib figures; import them from the submodules (``neuromop.plots.mdp`` …)."""
