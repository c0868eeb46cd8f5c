"""Matplotlib figures. Import the figure functions from the submodules (``neuromop.plots.mdp`` …)."""
