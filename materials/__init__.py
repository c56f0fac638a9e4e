"""Inside Polarisation's materials pipeline: content + templates -> HTML and PDF."""

__version__ = "0.1.0"
