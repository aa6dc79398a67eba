"""Reads of the login: the roles a person has for the organisation acted for, in one query; and, for a login
through an external ACM (relying-party mode), the same roles from its claims (``vlaio_inkom_rol_3d``,
``wv_orgcode``), kept in the session and re-checked on every request.

``acting_roles`` answers the same question as ``kmop.idm.permissions.can_act_for`` (an empty answer = may not
act for it) but in one SQL statement, and gives the roles too, so that the per-request check of the
middleware costs one query. The statement is written by hand and built once (``acting_roles_sql``): building
and compiling the equivalent ORM query (``acting_roles_orm``, kept as the reference) cost far more than the
query itself on every request; on PostgreSQL, where connections persist (the pool of production), it is a
prepared statement, so that it is not planned again on every request either. The tests check all three give
the same answer.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, Model, OuterRef, Value
from django.utils import timezone

from kmop.acm.session import LOGIN_AT
from kmop.idm import selectors as idm
from kmop.idm.models import (
    Organisation,
    Person,
    RightDefinition,
    RightGrant,
    TargetGroup,
    WorkRelation,
    WorkRelationPause,
)
from kmop.registers.models import Enterprise, LegalFunction, LegalFunctionCode
from kmop.registers.selectors import enterprise_names


@functools.cache
def acting_roles_sql() -> str:
    """The statement of ``acting_roles`` (portable SQLite/PostgreSQL; names from the models' ``_meta``, every
    value a named parameter), built on first use. Its two halves are those of ``acting_roles_orm``: the
    effective grants of the person in the organisation (``idm.effective_grants``), and the implicit role of a
    current legal representative of the organisation when it is an active legal-person enterprise."""
    q = connection.ops.quote_name

    def t(model: type[Model]) -> str:
        return q(model._meta.db_table)

    def c(alias: str, model: type[Model], field: str) -> str:
        column = model._meta.get_field(field).column  # type: ignore[union-attr]
        assert isinstance(column, str)
        return f"{alias}.{q(column)}"

    g, w, r, p, o = "g", "w", "r", "p", "o"
    not_paused = (
        f"NOT EXISTS (SELECT 1 FROM {t(WorkRelationPause)} wp"
        f" WHERE {c('wp', WorkRelationPause, 'work_relation')} = {c(w, WorkRelation, 'id')}"
        f" AND {c('wp', WorkRelationPause, 'started_at')} <= %(at)s"
        f" AND ({c('wp', WorkRelationPause, 'ended_at')} IS NULL"
        f" OR {c('wp', WorkRelationPause, 'ended_at')} > %(at)s))"
    )

    def kbo_not_inactive(alias: str) -> str:
        return (
            f"NOT EXISTS (SELECT 1 FROM {t(Enterprise)} e"
            f" WHERE {c('e', Enterprise, 'enterprise_number')} = {c(alias, Organisation, 'code')}"
            f" AND {c('e', Enterprise, 'status')} <> %(kbo_active)s)"
        )

    grants = (
        f"SELECT {c(r, RightDefinition, 'code')}, {c(g, RightGrant, 'context_value')}"
        f" FROM {t(RightGrant)} {g}"
        f" JOIN {t(RightDefinition)} {r} ON {c(r, RightDefinition, 'id')} = {c(g, RightGrant, 'right')}"
        f" JOIN {t(WorkRelation)} {w} ON {c(w, WorkRelation, 'id')} = {c(g, RightGrant, 'work_relation')}"
        f" JOIN {t(Person)} {p} ON {c(p, Person, 'id')} = {c(w, WorkRelation, 'person')}"
        f" JOIN {t(Organisation)} {o} ON {c(o, Organisation, 'id')} = {c(w, WorkRelation, 'organisation')}"
        f" WHERE {c(p, Person, 'national_number')} = %(person)s"
        f" AND {c(w, WorkRelation, 'organisation')} = %(organisation)s"
        f" AND {c(g, RightGrant, 'begin_date')} <= %(day)s AND {c(g, RightGrant, 'end_date')} >= %(day)s"
        f" AND ({c(g, RightGrant, 'ended_at')} IS NULL OR {c(g, RightGrant, 'ended_at')} > %(at)s)"
        f" AND {c(r, RightDefinition, 'active')}"
        f" AND {c(w, WorkRelation, 'begin_date')} <= %(day)s AND {c(w, WorkRelation, 'end_date')} >= %(day)s"
        f" AND ({c(w, WorkRelation, 'ended_at')} IS NULL OR {c(w, WorkRelation, 'ended_at')} > %(at)s)"
        f" AND {c(o, Organisation, 'active')}"
        f" AND ({c(o, Organisation, 'target_group')} <> %(economic_actor)s OR {kbo_not_inactive(o)})"
        f" AND {not_paused}"
    )
    lf, fc = "lf", "fc"
    represents = (
        f"SELECT %(implicit_right)s, %(implicit_profile)s"
        f" FROM {t(LegalFunction)} {lf}"
        f" JOIN {t(LegalFunctionCode)} {fc}"
        f" ON {c(fc, LegalFunctionCode, 'code')} = {c(lf, LegalFunction, 'function')}"
        f" JOIN {t(Organisation)} {o} ON {c(o, Organisation, 'code')} = {c(lf, LegalFunction, 'enterprise')}"
        f" WHERE {c(lf, LegalFunction, 'person_number')} = %(person)s"
        f" AND {c(lf, LegalFunction, 'start_date')} <= %(day)s"
        f" AND ({c(lf, LegalFunction, 'end_date')} IS NULL OR {c(lf, LegalFunction, 'end_date')} >= %(day)s)"
        f" AND {c(fc, LegalFunctionCode, 'represents')}"
        f" AND {c(o, Organisation, 'id')} = %(organisation)s"
        f" AND {c(o, Organisation, 'target_group')} = %(economic_actor)s"
        f" AND NOT {c(o, Organisation, 'is_natural_person')}"
        f" AND {c(o, Organisation, 'active')} AND {kbo_not_inactive(o)}"
    )
    return f"{grants} UNION {represents}"


def acting_roles(person_number: str, organisation_id: int, *, at: datetime | None = None) -> tuple[str, ...]:
    """The roles (``<Right>-<ContextValue>`` or ``<Right>``) of the person in the organisation at the moment:
    its effective rights there, plus the implicit ``VLAIOInkomGebruikerNieuw-Gebruiker`` of a legal
    representative of an active legal-person enterprise. Empty: the person may not act for it (now).

    One statement, built once (``acting_roles_sql``); the same answer as ``acting_roles_orm``."""
    at = at or timezone.now()
    ops = connection.ops
    params: dict[str, Any] = {
        "person": person_number,
        "organisation": organisation_id,
        "day": ops.adapt_datefield_value(timezone.localdate(at)),
        "at": ops.adapt_datetimefield_value(at),
        "kbo_active": idm.KBO_ACTIVE,
        "economic_actor": TargetGroup.ECONOMIC_ACTOR.value,
        "implicit_right": idm.IMPLICIT_RIGHT,
        "implicit_profile": idm.IMPLICIT_PROFILE,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _connections_persist():
            prepare, execute, names = _prepared_statement()
            raw = connection.connection
            if raw not in _prepared_on:
                cursor.execute(prepare)  # once per database connection
                _prepared_on.add(raw)
            cursor.execute(execute, [params[name] for name in names])
        else:
            cursor.execute(acting_roles_sql(), params)
        rows = cursor.fetchall()
    return tuple(sorted({f"{right}-{value}" if value else right for right, value in rows}))


#: PostgreSQL: the name of the prepared statement of ``acting_roles`` and the connections that have it
PREPARED_NAME = "kmop_acting_roles"
_prepared_on: weakref.WeakSet[Any] = weakref.WeakSet()
_PARAMETER_TYPES = {"person": "varchar", "organisation": "bigint", "day": "date", "at": "timestamptz"}


def _connections_persist() -> bool:
    """Whether a database connection outlives a request (the pool, or ``CONN_MAX_AGE``): only then does a
    prepared statement pay (PostgreSQL plans the statement in about ten times the time it runs it, every time;
    a prepared one, after its first five runs, with a generic plan kept by the connection)."""
    pool = getattr(connection, "pool", None)  # PostgreSQL's backend only
    return pool is not None or connection.settings_dict.get("CONN_MAX_AGE") != 0


@functools.cache
def _prepared_statement() -> tuple[str, str, tuple[str, ...]]:
    """``acting_roles_sql`` as PostgreSQL's ``PREPARE``, the ``EXECUTE`` of it (values bound by the driver)
    and the order of its parameters."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    body = re.sub(r"%\((\w+)\)s", number, acting_roles_sql())
    types = ", ".join(_PARAMETER_TYPES.get(name, "varchar") for name in names)
    placeholders = ", ".join("%s" for _ in names)
    return (
        f"PREPARE {PREPARED_NAME} ({types}) AS {body}",
        f"EXECUTE {PREPARED_NAME} ({placeholders})",
        tuple(names),
    )


def acting_roles_orm(
    person_number: str, organisation_id: int, *, at: datetime | None = None
) -> tuple[str, ...]:
    """``acting_roles`` through the ORM (``kmop.idm.selectors``' definitions of an effective right): the
    reference the hand-written statement is tested against."""
    active = Organisation.objects.filter(idm.organisation_active_q(), pk=organisation_id)
    grants = (
        idm.effective_grants_of(person_number, at=at)
        .filter(work_relation__organisation_id=organisation_id)
        .order_by()
        .values_list("right__code", "context_value")
    )
    legal_person = active.filter(
        target_group=TargetGroup.ECONOMIC_ACTOR, is_natural_person=False, code=OuterRef("enterprise_id")
    )
    represents = (
        idm.represented_enterprises(person_number, at=at)
        .filter(Exists(legal_person))
        .order_by()
        .annotate(r=Value(idm.IMPLICIT_RIGHT), c=Value(idm.IMPLICIT_PROFILE))
        .values_list("r", "c")
    )
    rows = grants.union(represents).order_by()
    roles = {f"{right}-{value}" if value else right for right, value in rows}
    return tuple(sorted(roles))


# --- Logins through an external ACM (relying-party mode, decision 0009) ---------------------------------

#: the session key of the roles an external ACM gave (``ExternalRoles.as_session``)
EXTERNAL_ROLES = "acm_external_roles"
ROLE_CLAIM = "vlaio_inkom_rol_3d"


def parse_role(value: str) -> tuple[str, str] | None:
    """``"<Right>-<ContextValue>:<OrgCode>"`` or ``"<Right>:<OrgCode>"`` → (role, organisation code), split on
    the last ``:`` and on the first ``-`` after the right code; None when it is not of that form."""
    if not isinstance(value, str) or ":" not in value:
        return None
    role, _, code = value.strip().rpartition(":")
    right, dash, context = role.partition("-")
    if not right or not code or (dash and not context) or any(c.isspace() for c in role + code):
        return None
    return (f"{right}-{context}" if dash else right), code.upper() if code.upper().startswith("OVO") else code


def role_claim_values(claims: Mapping[str, Any]) -> list[str]:
    """The values of the role claim, its name read case-insensitively; a JSON list or a JSON string of one."""
    raw: Any = next((v for k, v in claims.items() if isinstance(k, str) and k.lower() == ROLE_CLAIM), None)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = [raw]
    if not isinstance(raw, list):
        return []
    return [v for v in raw if isinstance(v, str)]


@dataclass(frozen=True)
class ExternalRoles:
    """What the external ACM said: roles per organisation code, and the organisation of which the person is a
    legal representative (``wv_orgcode``)."""

    roles: dict[str, tuple[str, ...]]
    wv_orgcode: str = ""
    login_at: float | None = None

    def as_session(self) -> dict[str, Any]:
        return {
            "roles": {k: list(v) for k, v in self.roles.items()},
            "wv": self.wv_orgcode,
            "at": self.login_at,
        }

    @classmethod
    def from_session(cls, data: Any) -> ExternalRoles | None:
        if not isinstance(data, dict) or not isinstance(data.get("roles"), dict):
            return None
        roles = {str(k): tuple(str(r) for r in v) for k, v in data["roles"].items() if isinstance(v, list)}
        return cls(roles=roles, wv_orgcode=str(data.get("wv") or ""), login_at=data.get("at"))

    def named(self) -> set[str]:
        return set(self.roles) | ({self.wv_orgcode} if self.wv_orgcode else set())

    def chosen_organisation(self, vo_orgcode: str) -> str | None:
        """The organisation of the login: ``vo_orgcode`` when the claims name it, or the only one named."""
        named = self.named()
        if vo_orgcode:
            return vo_orgcode if vo_orgcode in named else None
        return next(iter(named)) if len(named) == 1 else None


def external_roles_from_claims(claims: Mapping[str, Any], *, login_at: float | None = None) -> ExternalRoles:
    roles: dict[str, set[str]] = {}
    for value in role_claim_values(claims):
        parsed = parse_role(value)
        if parsed is not None:
            roles.setdefault(parsed[1], set()).add(parsed[0])
    wv = claims.get("wv_orgcode")
    return ExternalRoles(
        roles={code: tuple(sorted(r)) for code, r in roles.items()},
        wv_orgcode=wv.strip() if isinstance(wv, str) else "",
        login_at=login_at,
    )


def external_acting_roles(external: ExternalRoles, organisation_id: int) -> tuple[str, ...]:
    """Like ``acting_roles``, for a login through an external ACM: the roles its claims give in this
    organisation, plus the implicit ``VLAIOInkomGebruikerNieuw-Gebruiker`` when ``wv_orgcode`` names it and it
    is a legal-person enterprise; empty when the organisation is not active here (one query). Claims for
    another organisation never count."""
    row = (
        Organisation.objects.filter(idm.organisation_active_q(), pk=organisation_id)
        .values_list("code", "target_group", "is_natural_person")
        .first()
    )
    if row is None:
        return ()
    code, target_group, natural_person = row
    roles = set(external.roles.get(code, ()))
    if external.wv_orgcode == code and target_group == TargetGroup.ECONOMIC_ACTOR and not natural_person:
        roles.add(f"{idm.IMPLICIT_RIGHT}-{idm.IMPLICIT_PROFILE}")
    return tuple(sorted(roles))


def external_acting_option(external: ExternalRoles, code: str) -> idm.ActingOption | None:
    """The "aanmelden als" option for an organisation the external claims name (None otherwise, or when it is
    not active / unknown here). An enterprise that is not in the IDM yet is made by ``act_as``."""
    if code not in external.named():
        return None
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is not None:
        roles = external_acting_roles(external, organisation.pk)
        if not roles:
            return None
        return idm.ActingOption(
            code=code,
            name=organisation.name,
            target_group=organisation.target_group,
            roles=roles,
            legal_representative=external.wv_orgcode == code,
            organisation=organisation,
        )
    enterprise = Enterprise.objects.filter(pk=code, status=idm.KBO_ACTIVE).first()
    if enterprise is None:
        return None
    roles_set = set(external.roles.get(code, ()))
    if external.wv_orgcode == code and enterprise.type_of_enterprise != "1":
        roles_set.add(f"{idm.IMPLICIT_RIGHT}-{idm.IMPLICIT_PROFILE}")
    if not roles_set:
        return None
    name = enterprise_names([code]).get(code, code)
    return idm.ActingOption(
        code=code,
        name=name,
        target_group=TargetGroup.ECONOMIC_ACTOR,
        roles=tuple(sorted(roles_set)),
        legal_representative=external.wv_orgcode == code,
        organisation=None,
    )


def session_external_roles(session: Any) -> ExternalRoles | None:
    """The external roles of this session's login, or None for a local login. Roles kept from an earlier
    login (another login time: a later local login in the same session) do not count."""
    external = ExternalRoles.from_session(session.get(EXTERNAL_ROLES))
    if external is None or external.login_at is None or external.login_at != session.get(LOGIN_AT):
        return None
    return external
