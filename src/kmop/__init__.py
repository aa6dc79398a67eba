"""kmo-portefeuille: the Flemish SME wallet platform."""

__version__ = "0.1.0"
