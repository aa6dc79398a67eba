"""The back office of the kmo-portefeuille service (VLAIO staff): bank statements, payouts, stop requests."""
