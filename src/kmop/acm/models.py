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
