"""Numba kernels of one tick: particle update, heat, and the sleeping-chunk map."""
