"""The claims of the bundled ACM (IAM.md "Claims"), for the person acting for an organisation.

``vlaio_inkom_rol_3d`` lists the person's effective grants in the organisation acted for (as ACM does: the
token is for the organisation chosen in "aanmelden als"), ``wv_orgcode`` is present when the person is its
legal representative in the KBO. The relying party (``kmop.acm.selectors.roles_from_claims``) turns both back
into the same roles as a local login.
"""

from __future__ import annotations

from typing import Any

from kmop.acm.methods import get_method
from kmop.acm.models import User
from kmop.acm.session import Acting
from kmop.idm import selectors as idm
from kmop.idm.models import Person, TargetGroup, WorkRelation
from kmop.oidc.models import Subject

ROLE_CLAIM = "vlaio_inkom_rol_3d"

#: names of the target groups as ACM gives them in ``vo_doelgroepnaam``
TARGET_GROUP_NAMES: dict[str, str] = {
    TargetGroup.ECONOMIC_ACTOR: "Economische actoren",
    TargetGroup.GOVERNMENT: "Overheid",
}

SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "given_name",
    "family_name",
    "rrn",
    "vo_id",
    "vo_doelgroepcode",
    "vo_doelgroepnaam",
    "vo_orgcode",
    "vo_orgnaam",
    "vo_email",
    "wv_orgcode",
    ROLE_CLAIM,
]


def subject_of(user: User) -> Subject:
    subject, _ = Subject.objects.get_or_create(user=user)
    return subject


def role_claim(national_number: str, organisation_id: int, organisation_code: str) -> list[str]:
    grants = (
        idm.effective_grants_of(national_number)
        .filter(work_relation__organisation_id=organisation_id)
        .values_list("right__code", "context_value")
    )
    roles = {f"{right}-{value}" if value else right for right, value in grants}
    return [f"{role}:{organisation_code}" for role in sorted(roles)]


def _email(acting: Acting, person: Person | None) -> str:
    """The e-mail address of the work relation in the organisation, else the person's, else the account's."""
    relation_email = (
        WorkRelation.objects.filter(
            person__national_number=acting.national_number, organisation_id=acting.organisation_id
        )
        .order_by("-begin_date")
        .values_list("email", flat=True)
        .first()
    )
    return relation_email or (person.email if person else "") or acting.user.email


def acting_claims(acting: Acting) -> dict[str, Any]:
    """The claims (except iss/aud/exp/iat/nonce/auth_time) for ``request.acting`` at this moment."""
    user = acting.user
    subject = subject_of(user)
    organisation = acting.organisation
    person = Person.objects.filter(national_number=acting.national_number).first()
    method = get_method(acting.method)
    claims: dict[str, Any] = {
        "sub": subject.sub,
        "given_name": person.first_name if person else user.first_name,
        "family_name": person.last_name if person else user.last_name,
        "rrn": acting.national_number,
        "vo_id": str(subject.vo_id),
        "vo_doelgroepcode": organisation.target_group,
        "vo_doelgroepnaam": TARGET_GROUP_NAMES.get(organisation.target_group, organisation.target_group),
        "vo_orgcode": organisation.code,
        "vo_orgnaam": organisation.name,
        "vo_email": _email(acting, person),
        "acr": acting.acr,
        "amr": [method.code] if method else [],
        ROLE_CLAIM: role_claim(acting.national_number, organisation.pk, organisation.code),
    }
    if idm.is_legal_representative(acting.national_number, organisation):
        claims["wv_orgcode"] = organisation.code
    return claims
