"""Matplotlib figures; import the figure functions from the submodules (``neuromop.plots.mdp`` …)."""
