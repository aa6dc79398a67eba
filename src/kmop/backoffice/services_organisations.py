"""The back office's actions on an enterprise's data for VLAIO (issue 6 §3): correcting the profile the
platform uses (contact e-mail, IBAN for refunds) and cancelling a project on behalf of VLAIO.

Only the application manager (``VLAIOInkomToepassingsbeheerder``, as VLAIO staff) logged in at level *high*
(IAM.md: staff actions on other organisations' data) may; a reason is required; each action is taken on the
version of the data the staff member saw (a digest of the values, sent back with the form: a change in
between is refused with a message, nothing changed) and audited in its transaction: who (user, label,
``acr``), acting for VLAIO, for which enterprise (the object and ``after["organisation"]``), when and why.
The project's cancellation itself is ``kmop.projects.services.project_cancel`` (transition, budget, wallet,
mail); this module only checks who and the version under the project's row lock.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as NumberError

from kmop.acm.methods import level_at_least
from kmop.audit.services import Actor, audit_record
from kmop.backoffice.permissions import APPLICATION_MANAGER_RIGHT, staff_organisation_codes
from kmop.idm import selectors as idm_selectors
from kmop.idm.models import Organisation
from kmop.projects import services as project_services
from kmop.projects.errors import Conflict, InvalidInput, NotAllowed
from kmop.projects.models import EnterpriseProfile, Project, ProjectStatus
from kmop.registers.numbers import validate_iban
from kmop.wallet import services as wallet_services

__all__ = [
    "PROFILE_CORRECT",
    "PROJECT_CANCEL",
    "enterprise_profile_correct",
    "enterprise_project_cancel",
    "profile_version",
    "project_version",
]

PROFILE_CORRECT = "backoffice.enterprise.profile_correct"
PROJECT_CANCEL = "backoffice.enterprise.project_cancel"
PROFILE = "projects.EnterpriseProfile"
ORGANISATION = "idm.Organisation"
#: the profile's fields the back office corrects
PROFILE_FIELDS = ("contact_email", "iban")
#: the level of login the actions need (IAM.md; ``permissions.ACTION_LEVEL``)
LEVEL = "high"
REASON_MAX = 2000


def _digest(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def profile_version(profile: EnterpriseProfile) -> str:
    """The version of the profile as shown: a digest of its values (a clock standing still or two changes
    within a microsecond cannot hide a change)."""
    return _digest(
        {
            name: getattr(profile, name)
            for name in (
                "iban",
                "bic",
                "nace_code",
                "contact_name",
                "contact_email",
                "contact_phone",
                "language",
                "completed_at",
            )
        }
    )


def project_version(project: Project) -> str:
    """The version of the project as shown: its status and what a transition or the wallet changes."""
    return _digest(
        {
            name: getattr(project, name)
            for name in ("status", "status_changed_at", "budget_held", "deposited_at", "note", "amount")
        }
    )


def _require(actor: Actor) -> None:
    """The application manager of VLAIO, acting for VLAIO (not for another organisation of theirs: the audit
    says for whom), logged in at level high."""
    number = actor.user.national_number if actor.user is not None else ""
    if not number or not idm_selectors.is_application_manager(number):
        raise NotAllowed(_("Enkel een toepassingsbeheerder van VLAIO mag dit doen."))
    if actor.organisation_code not in staff_organisation_codes(APPLICATION_MANAGER_RIGHT):
        raise NotAllowed(_("Wissel eerst van organisatie: u handelt nu niet voor VLAIO."))
    if not level_at_least(actor.acr, LEVEL):
        raise NotAllowed(_("Meld u aan met eID of itsme om gegevens van een onderneming te wijzigen."))


def _reason(value: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(_("Geef de reden van deze wijziging."), field="reason", code="reason_required")
    if len(text) > REASON_MAX:
        raise InvalidInput(_("De reden is te lang (ten hoogste 2000 tekens)."), field="reason")
    return text


def _clean_profile(contact_email: str, iban: str) -> dict[str, str]:
    email = (contact_email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            _("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.be."), field="contact_email"
        ) from None
    try:
        compact = validate_iban((iban or "").strip())
    except (ValidationError, NumberError):
        raise InvalidInput(
            _("Dit is geen geldig IBAN-rekeningnummer. Controleer het, bijvoorbeeld BE71 0961 2345 6769."),
            field="iban",
        ) from None
    return {"contact_email": email, "iban": compact}


def enterprise_profile_correct(
    *,
    actor: Actor,
    organisation: Organisation,
    contact_email: str,
    iban: str,
    reason: str,
    version: str,
) -> EnterpriseProfile:
    """Correct the enterprise's contact e-mail and IBAN (for refunds) for VLAIO, on the version seen; a new
    IBAN clears the BIC (it was the old account's). ``InvalidInput`` (a field), ``NotAllowed`` or
    ``Conflict`` (no profile yet, changed meanwhile): nothing written."""
    _require(actor)
    text = _reason(reason)
    values = _clean_profile(contact_email, iban)
    with transaction.atomic():
        profile = EnterpriseProfile.objects.select_for_update().filter(organisation=organisation).first()
        if profile is None:
            raise Conflict(
                _(
                    "%(organisation)s heeft het e-loket nog niet gebruikt: er is geen profiel om te "
                    "corrigeren."
                ),
                organisation=organisation.name,
            )
        if profile_version(profile) != version:
            raise Conflict(
                _(
                    "Het profiel van %(organisation)s werd intussen gewijzigd: bekijk de gegevens opnieuw. "
                    "Er is niets gewijzigd."
                ),
                organisation=organisation.name,
                code="changed",
            )
        before = {name: getattr(profile, name) for name in (*PROFILE_FIELDS, "bic")}
        if all(before[name] == values[name] for name in PROFILE_FIELDS):
            raise Conflict(
                _("Deze gegevens zijn dezelfde als de huidige: er is niets gewijzigd."), code="unchanged"
            )
        profile.contact_email = values["contact_email"]
        if profile.iban != values["iban"]:
            profile.iban = values["iban"]
            profile.bic = ""
        profile.save(update_fields=[*PROFILE_FIELDS, "bic", "updated_at"])
        audit_record(
            actor=actor,
            action=PROFILE_CORRECT,
            object_type=PROFILE,
            object_id=organisation.code,
            before={"organisation": organisation.code, **before},
            after={
                "organisation": organisation.code,
                **{name: getattr(profile, name) for name in (*PROFILE_FIELDS, "bic")},
            },
            reason=text,
        )
        if profile.iban != before["iban"]:
            # the refunds that waited for an account go to the corrected one
            wallet_services.refunds_fill_account(
                actor=actor, organisation=organisation, iban=profile.iban, reason=text
            )
    return profile


def enterprise_project_cancel(*, actor: Actor, project: Project, reason: str, version: str) -> Project:
    """Cancel the enterprise's project for VLAIO (``project_cancel``: Bevestigd → ProjectGeannuleerd, the
    budget released, the wallet refunds, the enterprise mailed), on the version seen; audited also on the
    organisation (``PROJECT_CANCEL``). ``Conflict`` when the project changed meanwhile,
    ``TransitionNotAllowed`` when its status allows no cancellation: nothing changed."""
    _require(actor)
    text = _reason(reason)
    with transaction.atomic():
        locked = (
            Project.objects.select_for_update(of=("self",))
            .select_related("organisation", "registration__provider__organisation")
            .get(pk=project.pk)
        )
        if project_version(locked) != version:
            raise Conflict(
                _(
                    "Project %(number)s werd intussen gewijzigd (nu status %(status)s): bekijk het opnieuw. "
                    "Er is niets gewijzigd."
                ),
                number=locked.number,
                status=ProjectStatus(locked.status).label,
                code="changed",
            )
        cancelled = project_services.project_cancel(actor=actor, project=locked, reason=text)
        audit_record(
            actor=actor,
            action=PROJECT_CANCEL,
            object_type=ORGANISATION,
            object_id=str(cancelled.organisation_id),
            after={
                "organisation": cancelled.organisation.code,
                "project": cancelled.number,
                "status": cancelled.status,
            },
            reason=text,
        )
    return cancelled
