"""The e-loket's first use as a service (issue 4 §2): ``complete_profile(*, actor, organisation, data, day)``
writes the enterprise's profile (what the KBO does not give: IBAN, main activity, contact) and confirms the
size class of the calendar year of ``day`` (unless the year's first successful application locked it), in one
transaction, audited (``eloket.profile_complete`` with before and after).

Who may: a person who may act for the enterprise (``permissions.can_act_for_enterprise``: a legal
representative or the e-loket's user right, acting for that enterprise), or the system (a command, the
seed). The input is checked again here (the view's form checks it first): a malformed value raises
``InvalidInput`` with its field and nothing is written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as NumberError

from kmop.audit.services import Actor, audit_record
from kmop.idm.models import Organisation
from kmop.projects import permissions
from kmop.projects.errors import InvalidInput, NotAllowed
from kmop.projects.models import EnterpriseProfile, SizeClass, SizeClassYear
from kmop.registers.numbers import validate_iban

__all__ = ["PROFILE", "complete_profile", "profile_snapshot"]

PROFILE = "projects.EnterpriseProfile"
FIELDS = ("iban", "nace_code", "contact_name", "contact_email", "contact_phone")


def profile_snapshot(profile: EnterpriseProfile | None, size: SizeClassYear | None) -> dict[str, Any]:
    """What the audit keeps of the profile and the year's size class."""
    data: dict[str, Any] = {}
    if profile is not None:
        data.update({name: getattr(profile, name) for name in FIELDS})
        data["completed"] = profile.completed_at is not None
    if size is not None:
        data.update(year=size.year, size_class=size.size_class)
    return data


def _require(actor: Actor, organisation: Organisation) -> None:
    if actor.user is None:
        if not actor.is_system:
            raise NotAllowed(_("U bent niet aangemeld."))
        return  # the system
    number = actor.user.national_number
    elsewhere = bool(actor.organisation_code) and actor.organisation_code != organisation.code
    if not number or elsewhere or not permissions.can_act_for_enterprise(number, organisation):
        raise NotAllowed(
            _("U mag de gegevens van %(organisation)s niet wijzigen."), organisation=organisation.name
        )


def _clean(data: dict[str, Any]) -> dict[str, str]:
    """The profile's values, checked; ``InvalidInput`` (with the field) on the first wrong one."""
    values = {name: str(data.get(name) or "").strip() for name in (*FIELDS, "size_class")}
    try:
        values["iban"] = validate_iban(values["iban"])
    except (ValidationError, NumberError):
        raise InvalidInput(
            _("Dit is geen geldig IBAN-rekeningnummer. Controleer het, bijvoorbeeld BE71 0961 2345 6769."),
            field="iban",
        ) from None
    nace = values["nace_code"].replace(".", "")
    if not nace.isdigit() or not 2 <= len(nace) <= 7:
        raise InvalidInput(_("Een NACE-code bestaat uit cijfers, bijvoorbeeld 62010."), field="nace_code")
    values["nace_code"] = nace
    if not values["contact_name"] or len(values["contact_name"]) > 200:
        raise InvalidInput(_("Vul de naam van de contactpersoon in."), field="contact_name")
    try:
        validate_email(values["contact_email"])
    except ValidationError:
        raise InvalidInput(
            _("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.be."), field="contact_email"
        ) from None
    phone = values["contact_phone"].replace(" ", "").replace("/", "").replace(".", "")
    if phone and not (phone.lstrip("+").isdigit() and 8 <= len(phone.lstrip("+")) <= 15):
        raise InvalidInput(
            _("Vul een geldig telefoonnummer in, bijvoorbeeld +3292223344."), field="contact_phone"
        )
    values["contact_phone"] = phone
    return values


def complete_profile(
    *, actor: Actor, organisation: Organisation, data: dict[str, Any], day: date | None = None
) -> EnterpriseProfile:
    """Complete the enterprise's profile and confirm the size class of ``day``'s year (unless it is locked);
    one transaction, audited. ``data``: ``iban``, ``nace_code``, ``contact_name``, ``contact_email``,
    ``contact_phone`` and ``size_class`` (KO/MO; ignored when the year's class is locked)."""
    day = day or timezone.localdate()
    _require(actor, organisation)
    values = _clean(data)
    with transaction.atomic():
        profile = EnterpriseProfile.objects.select_for_update().filter(organisation=organisation).first()
        size = (
            SizeClassYear.objects.select_for_update().filter(organisation=organisation, year=day.year).first()
        )
        locked = size is not None and size.locked_at is not None
        if not locked and values["size_class"] not in SizeClass.values:
            raise InvalidInput(_("Kies de ondernemingsgrootte."), field="size_class")
        before = profile_snapshot(profile, size)
        if profile is None:
            profile = EnterpriseProfile(organisation=organisation)
        for name in FIELDS:
            setattr(profile, name, values[name])
        profile.completed_at = profile.completed_at or timezone.now()
        profile.save()
        if not locked:
            size, _created = SizeClassYear.objects.update_or_create(
                organisation=organisation,
                year=day.year,
                defaults={"size_class": values["size_class"], "confirmed_at": timezone.now()},
            )
        audit_record(
            actor=actor if actor.organisation_code else _with_organisation(actor, organisation),
            action="eloket.profile_complete",
            object_type=PROFILE,
            object_id=organisation.code,
            before=before or None,
            after=profile_snapshot(profile, size),
            reason=_("Eerste gebruik van het e-loket: ontbrekende gegevens vervolledigd"),
        )
        if profile.iban and profile.iban != (before or {}).get("iban"):
            # the refunds that waited for an account (none was valid when they were made) go to this one
            from kmop.wallet.services import refunds_fill_account

            refunds_fill_account(
                actor=actor if actor.organisation_code else _with_organisation(actor, organisation),
                organisation=organisation,
                iban=profile.iban,
                reason=_("Rekeningnummer van de onderneming ingevuld in het e-loket"),
            )
    return profile


def _with_organisation(actor: Actor, organisation: Organisation) -> Actor:
    import dataclasses

    return dataclasses.replace(actor, organisation_code=organisation.code)
