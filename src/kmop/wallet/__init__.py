"""The wallet of the kmo-portefeuille: a double-entry ledger per project (deposits matched from camt.053
statements, the subsidy, payment orders and payouts exported as pain.001, refunds), docs/decisions/0013."""
