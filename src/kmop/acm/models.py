"""Login accounts. A custom user model from the first migration on, so that login (ACM) can grow on it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login account: staff with a password today, persons logging in through ACM later.

    ``national_number`` links the account to the person in the national register (national or BIS number,
    11 digits, validated with python-stdnum by the services that set it).
    """

    national_number = models.CharField(
        _("rijksregister- of BIS-nummer"), max_length=11, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("gebruikersaccount")
        verbose_name_plural = _("gebruikersaccounts")


class TotpDevice(models.Model):
    """The authenticator app of a person ("beveiligingscode via mobiele app"): one per account.

    ``secret``: base32 (RFC 6238: 30 s, 6 digits, SHA1), stored in the clear here (see decision 0007:
    encrypt it at rest in a real deployment). ``last_used_timestep``: a code whose time step is not after it
    is refused, so a code is never used twice. ``failures``/``locked_until``: the lockout after repeated
    wrong codes.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_timestep = models.BigIntegerField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("app voor beveiligingscodes")
        verbose_name_plural = _("apps voor beveiligingscodes")

    def __str__(self) -> str:
        return f"TOTP {self.user}"
