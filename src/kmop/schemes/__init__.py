"""Schemes (steunmaatregelen): the kmo-portefeuille and the other VLAIO schemes on the platform, their
parameters per period (regime) as versioned data, and the calculations and checks the e-loket asks for.

The public API is ``kmop.schemes.services`` (docs/decisions/0010-scheme-framework.md)."""
