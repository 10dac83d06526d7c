"""Particula: an online particle sandbox."""

__version__ = "0.1.0"
