"""Variability, dimensionality, entropy and value-encoding analyses over labelled xarray data."""
