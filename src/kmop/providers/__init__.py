"""Providers (dienstverleners) of the kmo-portefeuille: the organisation, its departments and establishments,
and its registrations per service (``DV.O``/``DV.A`` numbers, statuses A, G, G/V, N, L, L/H, S, U, T).

The domain core of the provider portal (seed 004); the e-loket uses ``kmop.providers.selectors``
(docs/decisions/0011-providers.md)."""
