"""Seed step of the scheme framework: the scheme parameters of the data files (``schemes/data``), before the
projects' step judges its applications by them. The migrations load them too; a database emptied by a
transactional test, or an older file version, is brought up to date here (idempotent, audited)."""

from __future__ import annotations

from kmop.registers.synthetic_seed import SeedContext, SeedStep
from kmop.schemes.services import scheme_data_load


def _step_schemes(ctx: SeedContext) -> None:
    changes = scheme_data_load(actor=ctx.actor, reason="kmop seed")
    ctx.stdout.write(f"  scheme parameters: {changes} changes\n")


STEPS: list[SeedStep] = [SeedStep("schemes", _step_schemes)]
