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
    is refused, so a code is never used twice. Wrong codes are throttled by ``kmop.acm.throttle`` (decision
    0008), per account and per client address.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_timestep = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("app voor beveiligingscodes")
        verbose_name_plural = _("apps voor beveiligingscodes")

    def __str__(self) -> str:
        return f"TOTP {self.user}"


class PasswordCredential(models.Model):
    """CSAM's first step for the security code methods: a username and password of the person's own choosing,
    set after an eID/itsme login, asked together with the code. The password is hashed with Argon2id
    (Django's ``Argon2PasswordHasher``); ``username`` is stored in lower case."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="password_credential")
    username = models.CharField(_("gebruikersnaam"), max_length=64, unique=True)
    password = models.CharField(max_length=255)
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = _("gebruikersnaam en wachtwoord")
        verbose_name_plural = _("gebruikersnamen en wachtwoorden")

    def __str__(self) -> str:
        return self.username


class SmsDevice(models.Model):
    """The mobile number a person registered for "beveiligingscode via sms" (E.164), one per account,
    confirmed with a code sent to it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="sms_device")
    number = models.CharField(_("gsm-nummer"), max_length=16)
    confirmed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("gsm-nummer voor beveiligingscodes")
        verbose_name_plural = _("gsm-nummers voor beveiligingscodes")

    def __str__(self) -> str:
        return f"SMS {self.user}"


class SmsChallenge(models.Model):
    """One security code sent by sms, to log in or to confirm a new number: random, stored only as a keyed
    hash, valid for a few minutes, used at most once, with a limited number of tries and resends."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("aanmelden")
        ENROL = "enrol", _("gsm-nummer bevestigen")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sms_challenges")
    purpose = models.CharField(max_length=5, choices=Purpose.choices)
    number = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    resends = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("beveiligingscode via sms")
        verbose_name_plural = _("beveiligingscodes via sms")
        indexes = [models.Index(fields=["user", "purpose", "used_at"], name="acm_smschallenge_open")]

    def __str__(self) -> str:
        return f"SMS code {self.pk} ({self.purpose})"
