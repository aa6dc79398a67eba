"""Writes on providers and registrations: ``<noun>_<verb>(*, actor, ...)``, keyword-only, one transaction
each.

Every service checks who acts (``permissions.py``), writes an audit event (before/after, the organisation, the
reason) in the same transaction, and refuses bad input with a ``ProviderError`` (an ``IdmError``) with a clear
Dutch message, changing nothing. An actor without a user account is the system (``kmop seed``, ``kmop daily``,
a command) and is trusted; an anonymous actor is refused.

Registration statuses (seed 004) and the transitions (``TRANSITIONS``; docs/decisions/0011-providers.md):

- the provider requests (→ A), extends a G (→ G/V) and renews an L (→ L/H);
- the kmo-portefeuille service approves (A → G for 5 years, starters 2; G/V → G with the expiry date moved 5
  years on, a starter's 3; L/H → G from the day of the decision), refuses (A → N; G/V → G and L/H → L: the
  request is refused, the registration stays what it was), suspends (G, G/V → S), lifts a suspension (S → the
  status before it, or L / L/H when the expiry date passed meanwhile), excludes (→ U) and stops (→ T);
- ``kmop daily`` expires: G → L and G/V → L/H on the expiry date (``registration_expire_due``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import bic as _bic
from stdnum.exceptions import ValidationError as StdnumError

from kmop.audit.services import PROVIDER_PASSWORD, Actor, AuditChange, audit_record, audit_record_many
from kmop.idm import selectors as idm_selectors
from kmop.idm import services as idm_services
from kmop.idm.dates import add_years
from kmop.idm.errors import IdmError, InvalidNumber, NotAllowed
from kmop.idm.models import Organisation
from kmop.providers import permissions
from kmop.providers.errors import (
    AlreadySignedUp,
    Conflict,
    ProviderError,
    StaleRegistration,
    TransitionNotAllowed,
)
from kmop.providers.models import (
    BASES_BY_SERVICE,
    NUMBER_MAX,
    NUMBER_PREFIX,
    OPEN_STATUSES,
    REGISTRATION_SEQUENCE,
    STARTER_VALIDITY_YEARS,
    VALIDITY_YEARS,
    Basis,
    Language,
    NumberSequence,
    Provider,
    ProviderDepartment,
    ProviderEstablishment,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
    Service,
)
from kmop.registers.models import Enterprise
from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import validate_enterprise_number, validate_iban
from kmop.registers.selectors import enterprise_name

PROVIDER = "providers.Provider"
DEPARTMENT = "providers.ProviderDepartment"
ESTABLISHMENT = "providers.ProviderEstablishment"
REGISTRATION = "providers.Registration"

S = RegistrationStatus
_BE_POSTCODE = re.compile(r"^[1-9][0-9]{3}$")


class Decision:
    """The decisions of the kmo-portefeuille service on a registration (``registration_decide``)."""

    APPROVE = "approve"
    REFUSE = "refuse"
    SUSPEND = "suspend"
    LIFT = "lift"
    EXCLUDE = "exclude"
    STOP = "stop"

    CHOICES = (
        (APPROVE, gettext_lazy("goedkeuren")),
        (REFUSE, gettext_lazy("weigeren")),
        (SUSPEND, gettext_lazy("schorsen")),
        (LIFT, gettext_lazy("schorsing opheffen")),
        (EXCLUDE, gettext_lazy("uitsluiten")),
        (STOP, gettext_lazy("stopzetten")),
    )


#: (action, from status) → to status; the lift of a suspension depends on the history (``_lifted_status``)
TRANSITIONS: dict[tuple[str, str], str] = {
    ("request", ""): S.REQUESTED,
    ("extend", S.APPROVED): S.EXTENSION_REQUESTED,
    ("renew", S.EXPIRED): S.RENEWAL_REQUESTED,
    (Decision.APPROVE, S.REQUESTED): S.APPROVED,
    (Decision.APPROVE, S.EXTENSION_REQUESTED): S.APPROVED,
    (Decision.APPROVE, S.RENEWAL_REQUESTED): S.APPROVED,
    (Decision.REFUSE, S.REQUESTED): S.REFUSED,
    (Decision.REFUSE, S.EXTENSION_REQUESTED): S.APPROVED,
    (Decision.REFUSE, S.RENEWAL_REQUESTED): S.EXPIRED,
    (Decision.SUSPEND, S.APPROVED): S.SUSPENDED,
    (Decision.SUSPEND, S.EXTENSION_REQUESTED): S.SUSPENDED,
    (Decision.LIFT, S.SUSPENDED): S.APPROVED,
    **{(Decision.EXCLUDE, s): S.EXCLUDED for s in OPEN_STATUSES if s != S.EXCLUDED},
    **{(Decision.STOP, s): S.STOPPED for s in OPEN_STATUSES if s != S.EXCLUDED},
    ("expire", S.APPROVED): S.EXPIRED,
    ("expire", S.EXTENSION_REQUESTED): S.RENEWAL_REQUESTED,
}

#: the decisions that need a reason (a refusal, a sanction, its lifting)
REASON_REQUIRED = frozenset(
    {Decision.REFUSE, Decision.SUSPEND, Decision.LIFT, Decision.EXCLUDE, Decision.STOP}
)


# --- helpers -----------------------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _acting_number(actor: Actor) -> str | None:
    """The national number of the person who acts; None for the system (or a Django staff account).

    A provider logged in with its own password is no person: the callers that allow it check it first
    (``_password_login_for``); anywhere else it is refused here."""
    if actor.user is None:
        if not actor.is_system:
            raise NotAllowed(_("U bent niet aangemeld."))
        return None
    return actor.user.national_number or ""


def _password_login_for(actor: Actor, organisation: Organisation) -> bool | None:
    """For a provider logged in with its login and password: whether ``organisation`` is its own (None for
    any other actor). That login is the registered office's: it manages the provider and its departments."""
    if actor.credential != PROVIDER_PASSWORD:
        return None
    return (
        bool(actor.organisation_code)
        and actor.organisation_code == organisation.code
        and idm_selectors.is_organisation_active(organisation)
    )


def _for(actor: Actor, organisation: Organisation) -> Actor:
    return (
        actor if actor.organisation_code else dataclasses.replace(actor, organisation_code=organisation.code)
    )


def _audit(
    actor: Actor,
    organisation: Organisation,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
) -> None:
    audit_record(
        actor=_for(actor, organisation),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        reason=reason,
    )


def _require_provider(actor: Actor, organisation: Organisation) -> None:
    own = _password_login_for(actor, organisation)
    if own is not None:
        if not own:
            raise NotAllowed(
                _("U mag niet optreden als dienstverlener voor %(organisation)s."),
                organisation=organisation.name,
            )
        return
    number = _acting_number(actor)
    if number is None:
        return
    if not number or not permissions.can_manage_provider(number, organisation):
        raise NotAllowed(
            _("U mag niet optreden als dienstverlener voor %(organisation)s."), organisation=organisation.name
        )


def _require_department(actor: Actor, department: ProviderDepartment) -> None:
    own = _password_login_for(actor, department.provider.organisation)
    if own is not None:
        if not own:
            raise NotAllowed(
                _("U mag niet optreden voor het departement %(department)s."), department=department.name
            )
        return
    number = _acting_number(actor)
    if number is None:
        return
    if not number or not permissions.can_manage_department(number, department.department):
        raise NotAllowed(
            _("U mag niet optreden voor het departement %(department)s."), department=department.name
        )


def _require_holder(actor: Actor, registration: Registration) -> None:
    """A registration's holder acts on it: the registered office, or for a department's registration also the
    department's own people."""
    if registration.department_id is not None and registration.department is not None:
        _require_department(actor, registration.department)
    else:
        _require_provider(actor, registration.provider.organisation)


def _require_staff(actor: Actor) -> None:
    number = _acting_number(actor)
    if number is None:
        return
    user = actor.user
    if (
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("providers.change_registration")
    ):
        return
    if not number or not permissions.can_decide_registrations(number):
        raise NotAllowed(_("Enkel de dienst kmo-portefeuille mag over registraties beslissen."))
    # a staff member acting for another organisation of theirs: the audit would name that one
    if actor.organisation_code not in permissions.staff_organisation_codes():
        raise NotAllowed(_("Wissel eerst van organisatie: u handelt nu niet voor VLAIO."))


def _text(value: str | None, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if not value and required:
        raise ProviderError(_("Vul %(label)s in."), field=field, code="required", label=label)
    if len(value) > max_length:
        raise ProviderError(
            _("%(label)s is te lang (hoogstens %(max)s tekens)."),
            field=field,
            code="too_long",
            label=label,
            max=max_length,
        )
    return value


def _phone(value: str | None, *, field: str = "contact_phone", required: bool = False) -> str:
    return idm_services.clean_phone(value, field=field, required=required, error=ProviderError)


def _email(value: str | None, *, field: str = "contact_email") -> str:
    value = (value or "").strip()
    if not value:
        raise ProviderError(_("Vul een e-mailadres in."), field=field, code="email")
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ProviderError(
            _("%(value)s is geen geldig e-mailadres."), field=field, code="email", value=value
        ) from None
    return value


def _website(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value
    try:
        URLValidator(schemes=["http", "https"])(value)
    except DjangoValidationError:
        raise ProviderError(
            _("%(value)s is geen geldig webadres."), field="website", code="website", value=value
        ) from None
    return value


def clean_iban(value: str | None, *, field: str = "iban") -> str:
    """An IBAN (any SEPA country; python-stdnum checks the check digits and the national format) → compact."""
    raw = (value or "").strip()
    if not raw:
        raise ProviderError(_("Vul een rekeningnummer (IBAN) in."), field=field, code="iban")
    try:
        return validate_iban(raw)
    except NumberError:
        raise InvalidNumber(
            _("%(value)s is geen geldig rekeningnummer (IBAN)."), field=field, code="iban", value=raw
        ) from None


def clean_bic(value: str | None, *, field: str = "bic") -> str:
    """A BIC (8 or 11 characters, python-stdnum) → compact upper case; empty is allowed (SEPA needs none)."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        return str(_bic.validate(raw))
    except StdnumError:
        raise InvalidNumber(
            _("%(value)s is geen geldige BIC (bv. GEBABEBB)."), field=field, code="bic", value=raw
        ) from None


def _address(data: dict[str, Any], *, required: bool = True) -> dict[str, str]:
    """Street, number, box, postcode, municipality, country of a form; a Belgian postcode has 4 digits."""
    country = (data.get("country") or "BE").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ProviderError(_("Kies een land (ISO-code, bv. BE)."), field="country", code="country")
    address = {
        "street": _text(
            data.get("street"), field="street", label=_("de straat"), max_length=200, required=required
        ),
        "house_number": _text(
            data.get("house_number"),
            field="house_number",
            label=_("het huisnummer"),
            max_length=20,
            required=required,
        ),
        "box": _text(data.get("box"), field="box", label=_("de bus"), max_length=20, required=False),
        "postcode": _text(
            data.get("postcode"), field="postcode", label=_("de postcode"), max_length=10, required=required
        ),
        "municipality": _text(
            data.get("municipality"),
            field="municipality",
            label=_("de gemeente"),
            max_length=200,
            required=required,
        ),
        "country": country,
    }
    if address["postcode"] and country == "BE" and not _BE_POSTCODE.match(address["postcode"]):
        raise ProviderError(
            _("%(value)s is geen Belgische postcode (4 cijfers)."),
            field="postcode",
            code="postcode",
            value=address["postcode"],
        )
    return address


# --- snapshots ---------------------------------------------------------------------------------------------


def provider_snapshot(provider: Provider) -> dict[str, Any]:
    return {
        "organisation": provider.organisation.code,
        "legal_name": provider.legal_name,
        "enterprise_number": provider.enterprise_number,
        "legal_form": provider.legal_form,
        "street": provider.street,
        "house_number": provider.house_number,
        "box": provider.box,
        "postcode": provider.postcode,
        "municipality": provider.municipality,
        "country": provider.country,
        "contact_name": provider.contact_name,
        "contact_email": provider.contact_email,
        "contact_phone": provider.contact_phone,
        "language": provider.language,
        "website": provider.website,
        "iban": provider.iban,
        "bic": provider.bic,
        "fields_of_expertise": provider.fields_of_expertise,
        "presentation": provider.presentation,
        "is_foreign": provider.is_foreign,
        "login": provider.login,
    }


def department_snapshot(department: ProviderDepartment) -> dict[str, Any]:
    return {
        "provider": department.provider.enterprise_number,
        "code": department.department.code,
        "name": department.department.name,
        "contact_name": department.contact_name,
        "contact_email": department.contact_email,
        "contact_phone": department.contact_phone,
        "iban": department.iban,
        "bic": department.bic,
        "street": department.street,
        "house_number": department.house_number,
        "box": department.box,
        "postcode": department.postcode,
        "municipality": department.municipality,
    }


def establishment_snapshot(establishment: ProviderEstablishment) -> dict[str, Any]:
    return {
        "provider": establishment.provider.enterprise_number,
        "is_registered_office": establishment.is_registered_office,
        "name": establishment.name,
        "street": establishment.street,
        "house_number": establishment.house_number,
        "box": establishment.box,
        "postcode": establishment.postcode,
        "municipality": establishment.municipality,
        "country": establishment.country,
    }


def registration_snapshot(registration: Registration) -> dict[str, Any]:
    return {
        "number": registration.number,
        "provider": registration.provider.enterprise_number,
        "department": registration.department.department.code if registration.department else None,
        "service": registration.service,
        "basis": registration.basis,
        "status": registration.status,
        "is_starter": registration.is_starter,
        "valid_from": _iso(registration.valid_from),
        "valid_until": _iso(registration.valid_until),
        "version": registration.version,
    }


# --- numbers -----------------------------------------------------------------------------------------------


def next_numbers(name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive numbers of the sequence ``name``; call inside the transaction that uses
    them.

    One ``UPDATE ... SET last_value = last_value + n ... RETURNING last_value``: the database adds atomically
    and holds the row lock until the transaction ends, so concurrent callers queue on the row and never get
    the same number; a rolled-back transaction gives its numbers back (the sequence has no gaps).
    """
    if count < 1:
        return range(0)
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("next_numbers() must run inside transaction.atomic()")
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    sql = f"UPDATE {table} SET last_value = last_value + %s WHERE name = %s RETURNING last_value"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, name])
        row = cursor.fetchone()
        if row is None:  # the sequence is new (a transactional test flushed the migration's row)
            NumberSequence.objects.bulk_create(
                [NumberSequence(name=name, last_value=0)], ignore_conflicts=True
            )
            cursor.execute(sql, [count, name])
            row = cursor.fetchone()
    assert row is not None
    last = int(row[0])
    return range(last - count + 1, last + 1)


def registration_numbers(services: Iterable[str]) -> list[str]:
    """The next registration numbers, one per service given (``DV.O``/``DV.A`` + 6 digits, one sequence)."""
    wanted = list(services)
    numbers = next_numbers(REGISTRATION_SEQUENCE, len(wanted))
    if numbers and numbers[-1] > NUMBER_MAX:
        raise ProviderError(
            _("De registratienummers zijn op (hoogstens %(max)s)."), code="numbers_exhausted", max=NUMBER_MAX
        )
    return [
        f"{NUMBER_PREFIX[Service(service)]}{value:06d}"
        for service, value in zip(wanted, numbers, strict=True)
    ]


# --- providers ---------------------------------------------------------------------------------------------


def _language(value: str) -> str:
    """The language of the provider's mails: ``nl`` or ``en``."""
    if value not in Language.values:
        raise ProviderError(
            _("Onbekende taal voor de e-mails: %(value)s."), field="language", code="language", value=value
        )
    return str(value)


def _clean_enterprise_number(value: str) -> str:
    try:
        return validate_enterprise_number(value or "")
    except NumberError:
        raise InvalidNumber(
            _("%(value)s is geen geldig ondernemingsnummer."), field="enterprise_number", value=value
        ) from None


@transaction.atomic
def provider_sign_up(
    *,
    actor: Actor,
    enterprise_number: str,
    legal_name: str = "",
    legal_form: str = "",
    street: str,
    house_number: str,
    box: str = "",
    postcode: str,
    municipality: str,
    country: str = "BE",
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    website: str = "",
    iban: str,
    bic: str = "",
    fields_of_expertise: str = "",
    presentation: str = "",
    is_foreign: bool = False,
    login: str = "",
    language: str = Language.DUTCH,
    reason: str = "",
) -> Provider:
    """ "Aanmelden als dienstverlener": the organisation (an enterprise in the KBO) becomes a provider, with
    its registered office as the first establishment. The name and legal form default to the KBO's; the login
    defaults to the enterprise number; ``language`` is the language of its mails (the sign-up page's). A
    second sign-up of the same organisation is refused."""
    number = _clean_enterprise_number(enterprise_number)
    enterprise = Enterprise.objects.filter(pk=number).first()
    if enterprise is None:
        raise InvalidNumber(
            _("Onderneming %(value)s staat niet in de KBO."),
            field="enterprise_number",
            code="enterprise_not_found",
            value=enterprise_number,
        )
    if Provider.objects.filter(enterprise_number=number).exists():
        raise AlreadySignedUp(
            _("Deze organisatie is al aangemeld als dienstverlener. Log in, of vraag een nieuw paswoord."),
            field="enterprise_number",
        )
    fields = {
        "legal_name": _text(
            legal_name or enterprise_name(number) or "",
            field="legal_name",
            label=_("de maatschappelijke naam"),
            max_length=320,
        ),
        "legal_form": _text(
            legal_form or enterprise.juridical_form_cac or enterprise.juridical_form or "",
            field="legal_form",
            label=_("de rechtsvorm"),
            max_length=3,
            required=False,
        ),
        **_address(
            {
                "street": street,
                "house_number": house_number,
                "box": box,
                "postcode": postcode,
                "municipality": municipality,
                "country": country,
            }
        ),
        "contact_name": _text(
            contact_name, field="contact_name", label=_("de contactpersoon"), max_length=200
        ),
        "contact_email": _email(contact_email),
        "contact_phone": _phone(contact_phone),
        "language": _language(language),
        "website": _website(website),
        "iban": clean_iban(iban),
        "bic": clean_bic(bic),
        "fields_of_expertise": _text(
            fields_of_expertise,
            field="fields_of_expertise",
            label=_("de vakgebieden"),
            max_length=4000,
            required=False,
        ),
        "presentation": _text(
            presentation, field="presentation", label=_("de voorstelling"), max_length=8000, required=False
        ),
        "login": _text(login or number, field="login", label=_("de login"), max_length=60),
        "is_foreign": bool(is_foreign) or (country or "BE").strip().upper() != "BE",
    }
    if Provider.objects.filter(login=fields["login"]).exists():
        raise Conflict(_("De login %(value)s is al in gebruik."), field="login", value=fields["login"])
    organisation = idm_services.organisation_for_enterprise(
        actor=actor, enterprise_number=number, reason=reason
    )
    _require_provider(actor, organisation)
    try:
        with transaction.atomic():
            provider = Provider.objects.create(organisation=organisation, enterprise_number=number, **fields)
    except IntegrityError:  # a concurrent sign-up of the same organisation (or login) won
        raise AlreadySignedUp(
            _("Deze organisatie is al aangemeld als dienstverlener. Log in, of vraag een nieuw paswoord."),
            field="enterprise_number",
        ) from None
    office = ProviderEstablishment.objects.create(
        provider=provider,
        is_registered_office=True,
        name=provider.legal_name,
        **{k: fields[k] for k in ("street", "house_number", "box", "postcode", "municipality", "country")},
    )
    _audit(
        actor,
        organisation,
        "providers.provider.sign_up",
        PROVIDER,
        provider.pk,
        None,
        provider_snapshot(provider),
        reason,
    )
    _audit(
        actor,
        organisation,
        "providers.establishment.create",
        ESTABLISHMENT,
        office.pk,
        None,
        establishment_snapshot(office),
        reason,
    )
    return provider


#: the fields of the sign-up a provider may change ("Wijzig hier de gegevens van bij de aanmelding")
PROVIDER_EDITABLE = (
    "legal_name",
    "legal_form",
    "street",
    "house_number",
    "box",
    "postcode",
    "municipality",
    "country",
    "contact_name",
    "contact_email",
    "contact_phone",
    "language",
    "website",
    "iban",
    "bic",
    "fields_of_expertise",
    "presentation",
)
_ADDRESS_FIELDS = ("street", "house_number", "box", "postcode", "municipality", "country")


@transaction.atomic
def provider_update(*, actor: Actor, provider: Provider, reason: str = "", **changes: Any) -> Provider:
    """Change the data of the sign-up (e.g. the bank account); the registered office's establishment follows
    the address. Unknown fields are refused."""
    unknown = sorted(set(changes) - set(PROVIDER_EDITABLE))
    if unknown:
        raise ProviderError(
            _("Onbekende gegevens: %(fields)s."), code="unknown_field", fields=", ".join(unknown)
        )
    provider = (
        Provider.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=provider.pk)
    )
    _require_provider(actor, provider.organisation)
    before = provider_snapshot(provider)
    values = {name: changes.get(name, getattr(provider, name)) for name in PROVIDER_EDITABLE}
    cleaned: dict[str, Any] = {
        "legal_name": _text(
            values["legal_name"], field="legal_name", label=_("de maatschappelijke naam"), max_length=320
        ),
        "legal_form": _text(
            values["legal_form"], field="legal_form", label=_("de rechtsvorm"), max_length=3, required=False
        ),
        **_address(values),
        "contact_name": _text(
            values["contact_name"], field="contact_name", label=_("de contactpersoon"), max_length=200
        ),
        "contact_email": _email(values["contact_email"]),
        "contact_phone": _phone(values["contact_phone"]),
        "language": _language(values["language"]),
        "website": _website(values["website"]),
        "iban": clean_iban(values["iban"]),
        "bic": clean_bic(values["bic"]),
        "fields_of_expertise": _text(
            values["fields_of_expertise"],
            field="fields_of_expertise",
            label=_("de vakgebieden"),
            max_length=4000,
            required=False,
        ),
        "presentation": _text(
            values["presentation"],
            field="presentation",
            label=_("de voorstelling"),
            max_length=8000,
            required=False,
        ),
    }
    for name, value in cleaned.items():
        setattr(provider, name, value)
    after = provider_snapshot(provider)
    if after == before:
        return provider
    provider.save()
    office = ProviderEstablishment.objects.filter(provider=provider, is_registered_office=True).first()
    if office is not None and any(before[f] != after[f] for f in _ADDRESS_FIELDS):
        office_before = establishment_snapshot(office)
        for name in _ADDRESS_FIELDS:
            setattr(office, name, cleaned[name])
        office.save()
        _audit(
            actor,
            provider.organisation,
            "providers.establishment.update",
            ESTABLISHMENT,
            office.pk,
            office_before,
            establishment_snapshot(office),
            reason,
        )
    _audit(
        actor,
        provider.organisation,
        "providers.provider.update",
        PROVIDER,
        provider.pk,
        before,
        after,
        reason,
    )
    return provider


# --- departments -------------------------------------------------------------------------------------------


@transaction.atomic
def department_create(
    *,
    actor: Actor,
    provider: Provider,
    code: str,
    name: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    iban: str,
    bic: str = "",
    street: str = "",
    house_number: str = "",
    box: str = "",
    postcode: str = "",
    municipality: str = "",
    reason: str = "",
) -> ProviderDepartment:
    """ "Klik hier voor een nieuwe dienstverlener": the registered office signs up a department, with its own
    contact person and bank account. The IDM department (for the departments right) is made with it."""
    _require_provider(actor, provider.organisation)
    code = _text(code, field="code", label=_("de code van het departement"), max_length=40)
    name = _text(name, field="name", label=_("de naam van het departement"), max_length=200)
    fields = {
        "contact_name": _text(
            contact_name, field="contact_name", label=_("de contactpersoon"), max_length=200
        ),
        "contact_email": _email(contact_email),
        "contact_phone": _phone(contact_phone),
        "iban": clean_iban(iban),
        "bic": clean_bic(bic),
        **{
            k: v
            for k, v in _address(
                {
                    "street": street,
                    "house_number": house_number,
                    "box": box,
                    "postcode": postcode,
                    "municipality": municipality,
                },
                required=False,
            ).items()
            if k != "country"
        },
    }
    # The provider's permission is checked above; the IDM department is part of this change (the IDM's own
    # check is for its administrators, a provider's user need not be one).
    idm_actor = dataclasses.replace(
        _for(actor, provider.organisation), user=None, credential="", label=f"providers: {actor.label}"
    )
    try:
        department = idm_services.department_create(
            actor=idm_actor, organisation=provider.organisation, code=code, name=name, reason=reason
        )
    except IdmError as error:
        raise ProviderError(
            error.messages[0], field=error.field or "code", code=error.code or "conflict"
        ) from None
    provider_department = ProviderDepartment.objects.create(
        provider=provider, department=department, **fields
    )
    _audit(
        actor,
        provider.organisation,
        "providers.department.create",
        DEPARTMENT,
        provider_department.pk,
        None,
        department_snapshot(provider_department),
        reason,
    )
    return provider_department


DEPARTMENT_EDITABLE = (
    "name",
    "contact_name",
    "contact_email",
    "contact_phone",
    "iban",
    "bic",
    "street",
    "house_number",
    "box",
    "postcode",
    "municipality",
)


@transaction.atomic
def department_update(
    *, actor: Actor, department: ProviderDepartment, reason: str = "", **changes: Any
) -> ProviderDepartment:
    """Change a department's name, contact person, bank account or address (the registered office, or the
    department's own users)."""
    unknown = sorted(set(changes) - set(DEPARTMENT_EDITABLE))
    if unknown:
        raise ProviderError(
            _("Onbekende gegevens: %(fields)s."), code="unknown_field", fields=", ".join(unknown)
        )
    department = (
        ProviderDepartment.objects.select_for_update(of=("self",))
        .select_related("provider__organisation", "department__organisation")
        .get(pk=department.pk)
    )
    _require_department(actor, department)
    before = department_snapshot(department)
    values = {
        n: changes.get(n, department.name if n == "name" else getattr(department, n))
        for n in DEPARTMENT_EDITABLE
    }
    name = _text(values["name"], field="name", label=_("de naam van het departement"), max_length=200)
    cleaned = {
        "contact_name": _text(
            values["contact_name"], field="contact_name", label=_("de contactpersoon"), max_length=200
        ),
        "contact_email": _email(values["contact_email"]),
        "contact_phone": _phone(values["contact_phone"]),
        "iban": clean_iban(values["iban"]),
        "bic": clean_bic(values["bic"]),
        **{k: v for k, v in _address(values, required=False).items() if k != "country"},
    }
    for field, value in cleaned.items():
        setattr(department, field, value)
    if name != department.department.name:
        department.department.name = name
        department.department.save(update_fields=["name"])
    after = department_snapshot(department)
    if after == before:
        return department
    department.save()
    _audit(
        actor,
        department.provider.organisation,
        "providers.department.update",
        DEPARTMENT,
        department.pk,
        before,
        after,
        reason,
    )
    return department


# --- establishments ----------------------------------------------------------------------------------------


@transaction.atomic
def establishment_add(
    *,
    actor: Actor,
    provider: Provider,
    street: str,
    house_number: str,
    box: str = "",
    postcode: str,
    municipality: str,
    country: str = "BE",
    name: str = "",
    reason: str = "",
) -> ProviderEstablishment:
    """ "Klik hier voor een nieuwe vestiging": another place where the provider works (a search criterion)."""
    _require_provider(actor, provider.organisation)
    address = _address(
        {
            "street": street,
            "house_number": house_number,
            "box": box,
            "postcode": postcode,
            "municipality": municipality,
            "country": country,
        }
    )
    name = _text(name, field="name", label=_("de naam"), max_length=200, required=False)
    if ProviderEstablishment.objects.filter(
        provider=provider, **{k: address[k] for k in ("street", "house_number", "box", "postcode")}
    ).exists():
        raise Conflict(_("Deze vestiging bestaat al."), field="street")
    establishment = ProviderEstablishment.objects.create(
        provider=provider, is_registered_office=False, name=name, **address
    )
    _audit(
        actor,
        provider.organisation,
        "providers.establishment.create",
        ESTABLISHMENT,
        establishment.pk,
        None,
        establishment_snapshot(establishment),
        reason,
    )
    return establishment


@transaction.atomic
def establishment_update(
    *, actor: Actor, establishment: ProviderEstablishment, reason: str = "", **changes: Any
) -> ProviderEstablishment:
    """Change an establishment; the registered office's address is the provider's (``provider_update``)."""
    editable = ("name", *_ADDRESS_FIELDS)
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise ProviderError(
            _("Onbekende gegevens: %(fields)s."), code="unknown_field", fields=", ".join(unknown)
        )
    establishment = (
        ProviderEstablishment.objects.select_for_update(of=("self",))
        .select_related("provider__organisation")
        .get(pk=establishment.pk)
    )
    provider = establishment.provider
    _require_provider(actor, provider.organisation)
    if establishment.is_registered_office:
        address_changes = {k: v for k, v in changes.items() if k in _ADDRESS_FIELDS}
        if address_changes:
            provider_update(actor=actor, provider=provider, reason=reason, **address_changes)
        establishment.refresh_from_db()
        changes = {k: v for k, v in changes.items() if k not in _ADDRESS_FIELDS}
        if not changes:
            return establishment
    before = establishment_snapshot(establishment)
    values = {n: changes.get(n, getattr(establishment, n)) for n in editable}
    cleaned = {
        "name": _text(values["name"], field="name", label=_("de naam"), max_length=200, required=False),
        **_address(values),
    }
    for field, value in cleaned.items():
        setattr(establishment, field, value)
    after = establishment_snapshot(establishment)
    if after == before:
        return establishment
    establishment.save()
    _audit(
        actor,
        provider.organisation,
        "providers.establishment.update",
        ESTABLISHMENT,
        establishment.pk,
        before,
        after,
        reason,
    )
    return establishment


@transaction.atomic
def establishment_delete(*, actor: Actor, establishment: ProviderEstablishment, reason: str = "") -> None:
    """Remove an establishment other than the registered office."""
    establishment = (
        ProviderEstablishment.objects.select_for_update(of=("self",))
        .select_related("provider__organisation")
        .get(pk=establishment.pk)
    )
    _require_provider(actor, establishment.provider.organisation)
    if establishment.is_registered_office:
        raise ProviderError(
            _("De maatschappelijke zetel kan niet verwijderd worden."), code="registered_office"
        )
    before = establishment_snapshot(establishment)
    pk = establishment.pk
    establishment.delete()
    _audit(
        actor,
        establishment.provider.organisation,
        "providers.establishment.delete",
        ESTABLISHMENT,
        pk,
        before,
        None,
        reason,
    )


# --- registrations -----------------------------------------------------------------------------------------


def _event(
    registration: Registration, from_status: str, action: str, at: datetime, actor: Actor, reason: str
) -> RegistrationEvent:
    return RegistrationEvent(
        registration=registration,
        from_status=from_status,
        to_status=registration.status,
        action=action,
        at=at,
        actor_label=actor.label,
        reason=reason,
        valid_from=registration.valid_from,
        valid_until=registration.valid_until,
    )


def _open_registration_refusal(existing: Registration) -> Conflict:
    service = existing.get_service_display()
    if existing.status in (S.APPROVED, S.EXTENSION_REQUESTED):
        message = _(
            "U heeft al een registratie %(number)s voor de dienst %(service)s: klik op 'verlengen' in het "
            "overzicht van de registraties."
        )
    elif existing.status in (S.EXPIRED, S.RENEWAL_REQUESTED):
        message = _(
            "U heeft al een registratie %(number)s voor de dienst %(service)s: klik op 'hernieuwen' in het "
            "overzicht van de registraties."
        )
    elif existing.status == S.REQUESTED:
        message = _("U heeft al een registratie %(number)s voor de dienst %(service)s aangevraagd.")
    else:
        message = _(
            "Uw registratie %(number)s voor de dienst %(service)s is %(status)s: een nieuwe registratie "
            "voor deze dienst kan niet."
        )
    return Conflict(
        message,
        field="service",
        code="already_registered",
        number=existing.number,
        service=service,
        status=existing.get_status_display().lower(),
    )


def _open_registration(
    provider: Provider, department: ProviderDepartment | None, service: str
) -> Registration | None:
    return (
        Registration.objects.filter(
            provider=provider, department=department, service=service, status__in=OPEN_STATUSES
        )
        .order_by("-id")
        .first()
    )


@transaction.atomic
def registration_request(
    *,
    actor: Actor,
    provider: Provider,
    service: str,
    basis: str,
    department: ProviderDepartment | None = None,
    is_starter: bool = False,
    reason: str = "",
) -> Registration:
    """ "Aanvraag registratie" (stap 1–3 of seed 004): the level (registered office, or a department), the
    service and the basis (limited by the service). Refused for a service that the registered office (or the
    department) has an open registration for (A, G, G/V: extend instead; L, L/H: renew; S, U)."""
    provider = (
        Provider.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=provider.pk)
    )
    if department is not None and department.provider_id != provider.pk:
        raise NotAllowed(_("Dit departement hoort niet bij %(provider)s."), provider=provider.legal_name)
    if department is not None:  # the registered office, or the department's own people (departments right)
        _require_department(actor, department)
    else:
        _require_provider(actor, provider.organisation)
    if service not in Service.values:
        raise ProviderError(_("Kies de dienst: opleiding of advies."), field="service", code="service")
    if basis not in Basis.values:
        raise ProviderError(_("Kies de basis van de registratie."), field="basis", code="basis")
    if basis not in BASES_BY_SERVICE[service]:
        raise ProviderError(
            _("Een %(basis)s kan zich niet registreren voor de dienst %(service)s."),
            field="basis",
            code="basis_not_for_service",
            basis=Basis(basis).label,
            service=Service(service).label.lower(),
        )
    existing = _open_registration(provider, department, service)
    if existing is not None:
        raise _open_registration_refusal(existing)
    now = timezone.now()
    (number,) = registration_numbers([service])
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                number=number,
                provider=provider,
                department=department,
                service=service,
                basis=basis,
                status=S.REQUESTED,
                is_starter=bool(is_starter),
                requested_at=now,
                status_changed_at=now,
            )
    except IntegrityError:  # a concurrent request for the same service won
        existing = _open_registration(provider, department, service)
        if existing is None:
            raise
        raise _open_registration_refusal(existing) from None
    _event(registration, "", "request", now, actor, reason).save()
    _audit(
        actor,
        provider.organisation,
        "providers.registration.request",
        REGISTRATION,
        registration.number,
        None,
        registration_snapshot(registration),
        reason,
    )
    return registration


def _lock_registration(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("provider__organisation", "department__department")
        .get(pk=registration.pk)
    )


def _change(
    actor: Actor,
    registration: Registration,
    action: str,
    to_status: str,
    reason: str,
    *,
    valid_from: date | None = None,
    valid_until: date | None = None,
    decided: bool = False,
) -> Registration:
    """Apply a transition on the locked registration, with its history event and audit event."""
    now = timezone.now()
    before = registration_snapshot(registration)
    from_status = registration.status
    registration.status = to_status
    registration.status_changed_at = now
    registration.version += 1
    if valid_from is not None:
        registration.valid_from = valid_from
    if valid_until is not None:
        registration.valid_until = valid_until
    if decided:
        registration.decided_at = now
        registration.decided_by = actor.label
        registration.decision_reason = reason
    registration.save()
    _event(registration, from_status, action, now, actor, reason).save()
    _audit(
        actor,
        registration.provider.organisation,
        f"providers.registration.{action}",
        REGISTRATION,
        registration.number,
        before,
        registration_snapshot(registration),
        reason,
    )
    return registration


def _not_allowed(registration: Registration, action_label: object) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("%(action)s kan niet voor registratie %(number)s met status %(status_code)s (%(status)s)."),
        code="transition_not_allowed",
        action=action_label,
        number=registration.number,
        status_code=registration.status,
        status=registration.get_status_display(),
    )


@transaction.atomic
def registration_extend(*, actor: Actor, registration: Registration, reason: str = "") -> Registration:
    """ "verlengen": a G registration asks for an extension before its expiry date (→ G/V)."""
    registration = _lock_registration(registration)
    _require_holder(actor, registration)
    if registration.status != S.APPROVED:
        raise _not_allowed(registration, _("Verlengen"))
    if registration.valid_until is not None and registration.valid_until <= _today():
        raise TransitionNotAllowed(
            _("Registratie %(number)s is vervallen op %(day)s: vraag een hernieuwing aan."),
            number=registration.number,
            day=f"{registration.valid_until:%d/%m/%Y}",
        )
    return _change(actor, registration, "extend", S.EXTENSION_REQUESTED, reason)


@transaction.atomic
def registration_renew(*, actor: Actor, registration: Registration, reason: str = "") -> Registration:
    """ "hernieuwen": an expired (L) registration asks for a renewal (→ L/H)."""
    registration = _lock_registration(registration)
    _require_holder(actor, registration)
    if registration.status != S.EXPIRED:
        raise _not_allowed(registration, _("Hernieuwen"))
    return _change(actor, registration, "renew", S.RENEWAL_REQUESTED, reason)


def _lifted_status(registration: Registration, today: date) -> str:
    """The status after a suspension is lifted: the one before it, or its expired form if the expiry date
    passed meanwhile."""
    last = (
        registration.events.filter(to_status=S.SUSPENDED)
        .order_by("-at", "-id")
        .values_list("from_status", flat=True)
        .first()
    )
    before = last if last in (S.APPROVED, S.EXTENSION_REQUESTED) else S.APPROVED
    if registration.valid_until is not None and registration.valid_until <= today:
        return S.RENEWAL_REQUESTED if before == S.EXTENSION_REQUESTED else S.EXPIRED
    return before


_DECISION_LABELS = {
    Decision.APPROVE: gettext_lazy("Goedkeuren"),
    Decision.REFUSE: gettext_lazy("Weigeren"),
    Decision.SUSPEND: gettext_lazy("Schorsen"),
    Decision.LIFT: gettext_lazy("Een schorsing opheffen"),
    Decision.EXCLUDE: gettext_lazy("Uitsluiten"),
    Decision.STOP: gettext_lazy("Stopzetten"),
}


def approval_years(registration: Registration) -> int:
    """The years an approval gives (decision 0011): a first request 5, a starter's 2; an extension 5 more on
    the expiry date, a starter's follow-up audit the 3 more to 5; a renewal (L/H) 5 from the decision, a
    starter's too (its 2 years are for the first request only: after an approval of an extension or a renewal
    the provider is no longer a starter)."""
    if registration.status == S.EXTENSION_REQUESTED and registration.is_starter:
        return VALIDITY_YEARS - STARTER_VALIDITY_YEARS
    if registration.status == S.REQUESTED and registration.is_starter:
        return STARTER_VALIDITY_YEARS
    return VALIDITY_YEARS


@transaction.atomic
def registration_decide(
    *,
    actor: Actor,
    registration: Registration,
    decision: str,
    reason: str = "",
    valid_from: date | None = None,
    expected_version: int | None = None,
) -> Registration:
    """A decision of the kmo-portefeuille service on a registration (see the module's docstring).

    ``registration`` is the registration as the decision-maker saw it: if it changed since (another decision,
    an extension, the expiry), the decision is refused (``expected_version`` defaults to its ``version``).
    ``valid_from`` is the first day of a new approval (default: today).
    """
    _require_staff(actor)
    seen_version = registration.version if expected_version is None else expected_version
    if decision not in _DECISION_LABELS:
        raise ProviderError(_("Onbekende beslissing."), field="decision", code="decision")
    reason = (reason or "").strip()
    if decision in REASON_REQUIRED and not reason:
        raise ProviderError(_("Geef een reden voor deze beslissing."), field="reason", code="reason_required")
    locked = _lock_registration(registration)
    if locked.version != seen_version:
        raise StaleRegistration(
            _(
                "Registratie %(number)s werd intussen gewijzigd (nu %(status_code)s: %(status)s). Bekijk ze "
                "opnieuw voor u beslist."
            ),
            code="stale",
            number=locked.number,
            status_code=locked.status,
            status=locked.get_status_display(),
        )
    registration = locked
    to_status = TRANSITIONS.get((decision, registration.status))
    if to_status is None:
        raise _not_allowed(registration, _DECISION_LABELS[decision])
    today = _today()
    if decision == Decision.APPROVE and actor.user is not None:
        # a person approves a private provider's request only with a passing audit report of this request
        # (kmop.providers.audits); the system (seed data, imports of the registers) decides on its own record
        from kmop.providers.audits import approval_blocked_reason

        blocked = approval_blocked_reason(registration)
        if blocked:
            raise ProviderError(blocked, code="audit_required")
    if decision == Decision.APPROVE:
        years = approval_years(registration)
        if registration.status in (S.EXTENSION_REQUESTED, S.RENEWAL_REQUESTED):
            registration.is_starter = False
        if registration.status == S.EXTENSION_REQUESTED:
            assert registration.valid_until is not None
            approved = _change(
                actor,
                registration,
                "approve",
                to_status,
                reason,
                valid_until=add_years(registration.valid_until, years),
                decided=True,
            )
        else:
            start = valid_from or today
            approved = _change(
                actor,
                registration,
                "approve",
                to_status,
                reason,
                valid_from=start,
                valid_until=add_years(start, years),
                decided=True,
            )
        # the certificate goes to the provider by mail once the decision is committed (a failing mail is
        # logged and leaves the decision as it is)
        from kmop.portal.certificates import send_certificate_on_commit

        send_certificate_on_commit(approved)
        return approved
    if decision == Decision.LIFT:
        to_status = _lifted_status(registration, today)
    return _change(actor, registration, decision, to_status, reason, decided=True)


def registration_expire_due(*, actor: Actor, day: date, batch_size: int = 500) -> int:
    """``kmop daily``: on its expiry date a G registration becomes L (verlopen), a G/V one L/H (the extension
    request stays as a renewal request). Idempotent; returns the number expired. Batches of ``batch_size``,
    one transaction each (a registration locked by a decision at that moment is taken in the next run)."""
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Registration.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
                )
                .filter(status__in=(S.APPROVED, S.EXTENSION_REQUESTED), valid_until__lte=day)
                .select_related("provider__organisation", "department__department")
                .order_by("id")[:batch_size]
            )
            if not batch:
                return total
            now = timezone.now()
            events: list[RegistrationEvent] = []
            changes: list[AuditChange] = []
            for registration in batch:
                before = registration_snapshot(registration)
                from_status = registration.status
                registration.status = TRANSITIONS[("expire", from_status)]
                registration.status_changed_at = now
                registration.version += 1
                events.append(_event(registration, from_status, "expire", now, actor, _("vervaldag bereikt")))
                changes.append(
                    AuditChange(
                        action="providers.registration.expire",
                        object_type=REGISTRATION,
                        object_id=registration.number,
                        before=before,
                        after=registration_snapshot(registration),
                    )
                )
            Registration.objects.bulk_update(batch, ["status", "status_changed_at", "version"])
            RegistrationEvent.objects.bulk_create(events)
            audit_record_many(
                actor=actor,
                changes=changes,
                reason=_("vervaldag bereikt op %(day)s") % {"day": f"{day:%d/%m/%Y}"},
            )
            total += len(batch)


# --- login and password (seed 004 "Login en paswoord wijzigen") -------------------------------------------


#: what a login may hold (it is shown, typed, and part of an export's file name)
LOGIN_PATTERN = re.compile(r"[A-Za-z0-9._@-]{3,60}")


def provider_check_password(provider: Provider, raw_password: str) -> bool:
    """Whether the password is the provider's (a provider without a password never matches)."""
    from django.contrib.auth.hashers import check_password

    return bool(provider.password) and check_password(raw_password, provider.password)


def _validated_password(password: str, provider: Provider, field: str) -> str:
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password)
    except DjangoValidationError as error:
        raise ProviderError(" ".join(error.messages), field=field, code="password") from None
    return password


@transaction.atomic
def provider_password_set(*, actor: Actor, provider: Provider, password: str = "", reason: str = "") -> str:
    """Give the provider a password (a random one when none is given: the one mailed after the sign-up or a
    reset); returns it in plain text, for that mail only. Stored hashed (the project's password hasher)."""
    import secrets

    from django.contrib.auth.hashers import make_password

    provider = (
        Provider.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=provider.pk)
    )
    _require_provider(actor, provider.organisation)
    password = _validated_password(password, provider, "password") if password else secrets.token_urlsafe(12)
    provider.password = make_password(password)
    provider.save(update_fields=["password", "updated_at"])
    _audit(
        actor,
        provider.organisation,
        "providers.provider.password_set",
        PROVIDER,
        provider.pk,
        None,
        {"login": provider.login, "password": "***"},
        reason,
    )
    return password


@transaction.atomic
def provider_credentials_change(
    *,
    actor: Actor,
    provider: Provider,
    new_login: str,
    old_password: str,
    new_password: str,
    new_password_again: str,
) -> Provider:
    """ "Maatschappelijke zetel: wijzig login": a new login and password, with the old password."""
    from django.contrib.auth.hashers import make_password

    provider = (
        Provider.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=provider.pk)
    )
    _require_provider(actor, provider.organisation)
    login = _text(new_login, field="new_login", label=_("de nieuwe login"), max_length=60)
    if not LOGIN_PATTERN.fullmatch(login):
        raise ProviderError(
            _(
                "Een login heeft 3 tot 60 tekens: letters, cijfers en . _ @ - (geen spaties of andere "
                "tekens)."
            ),
            field="new_login",
            code="login_format",
        )
    if not provider_check_password(provider, old_password or ""):
        raise ProviderError(_("Het oude paswoord is niet juist."), field="old_password", code="password")
    if new_password != new_password_again:
        raise ProviderError(
            _("De twee nieuwe paswoorden zijn niet gelijk."), field="new_password_again", code="password"
        )
    _validated_password(new_password, provider, "new_password")
    if Provider.objects.filter(login__iexact=login).exclude(pk=provider.pk).exists():
        raise Conflict(_("De login %(value)s is al in gebruik."), field="new_login", value=login)
    before = {"login": provider.login}
    provider.login = login
    provider.password = make_password(new_password)
    provider.save(update_fields=["login", "password", "updated_at"])
    _audit(
        actor,
        provider.organisation,
        "providers.provider.credentials_change",
        PROVIDER,
        provider.pk,
        before,
        {"login": login, "password": "***"},
    )
    return provider
