"""A provider's reactions that reach the kmo-portefeuille service (seed 004, "reageren op steunaanvraag"), for
the providers' portal and the providers' API:

* ``project_report(*, actor, project, message) -> ProjectReport``: *melden* (Afgewerkt): a message to the
  service why the project cannot be supported, kept as a case (``ProjectReport``, status open), audited
  (``projects.report.create``), the service mailed after the commit.
* ``project_request_stop_with_proof(*, actor, project, reason, proof) -> Project``: *stopzetten* (Lopend) by
  the provider: the proof document checked by its content and stored (``kmop.projects.proofs``), then
  ``services.project_request_stop`` (→ StopzettingAangevraagd, audited) and the service mailed with the reason
  after the commit. ``proof`` is an uploaded file, or the stored name of a proof saved earlier for this
  project (``proofs.save_proof``: a form that confirms in a second step).
* ``project_report_close(*, actor, report, note="")``: the service closes a case (staff only).

Who may: the project's provider only (its own login and password, ``Actor.provider_password``, or a person who
may act for the provider), or the system; anyone else gets ``NotAllowed``, another status
``TransitionNotAllowed``; nothing changed on a refusal.

The service's address: ``settings.KMOP_SERVICE_EMAIL`` when set, else ``SERVICE_EMAIL`` (the address of seed
004).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import loader
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.notifications import mail
from kmop.projects import proofs
from kmop.projects.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from kmop.projects.models import Project, ProjectReport, ProjectReportStatus, ProjectStatus
from kmop.projects.services import (
    _for,
    _lock_project,
    _require_enterprise_or_provider,
    _require_staff,
    project_request_stop,
)

logger = logging.getLogger(__name__)

__all__ = [
    "MESSAGE_MAX",
    "SERVICE_EMAIL",
    "project_report",
    "project_report_close",
    "project_request_stop_with_proof",
    "service_email",
]

REPORT = "projects.ProjectReport"
#: the kmo-portefeuille service's address (seed 004) while the settings name none (``KMOP_SERVICE_EMAIL``)
SERVICE_EMAIL = "kmo-portefeuille@vlaanderen.be"
MESSAGE_MAX = 4000


def service_email() -> str:
    return str(getattr(settings, "KMOP_SERVICE_EMAIL", "") or SERVICE_EMAIL)


def _require_provider(actor: Actor, project: Project) -> None:
    who = _require_enterprise_or_provider(actor, project)
    if who not in ("provider", "system"):
        raise NotAllowed(
            _("Enkel de dienstverlener van project %(number)s kan dit doen."), number=project.number
        )


def _message(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("Schrijf uw bericht."), field="message", code="message_required")
    if len(text) > MESSAGE_MAX:
        raise InvalidInput(
            _("Het bericht is te lang (ten hoogste %(max)s tekens)."), field="message", max=MESSAGE_MAX
        )
    return text


def _mail_service(name: str, project_id: int, **extra: Any) -> None:
    """Mail ``projects/mail/service_<name>.txt`` (+ ``_subject``) to the service after the commit (a failure
    is logged, never raised: the change stands)."""

    def send() -> None:
        project = Project.objects.select_related("organisation", "registration__provider__organisation").get(
            pk=project_id
        )
        context = {"project": project, "provider": project.registration.provider, **extra}
        try:
            with translation.override("nl"):
                subject = " ".join(
                    loader.render_to_string(f"projects/mail/service_{name}_subject.txt", context).split()
                )
                body = loader.render_to_string(f"projects/mail/service_{name}.txt", context)
            message = mail.message(subject, body, [service_email()], language="nl")
            message.kmop_organisation = project.registration.provider.organisation  # type: ignore[attr-defined]
            message.send()
        except Exception:
            logger.exception("project %s: the service's %s mail could not be sent", project.number, name)

    transaction.on_commit(send)


def project_report(*, actor: Actor, project: Project, message: str) -> ProjectReport:
    """*Melden*: the provider tells the service why its finished project cannot be supported
    (Afgewerkt only)."""
    _require_provider(actor, project)
    text = _message(message)
    with transaction.atomic():
        locked = _lock_project(project)
        if locked.status != ProjectStatus.AFGEWERKT:
            raise TransitionNotAllowed(
                _("Melden kan enkel voor een afgewerkt project (project %(number)s is %(status)s)."),
                number=locked.number,
                status=ProjectStatus(locked.status).label,
            )
        provider_organisation = locked.registration.provider.organisation
        report = ProjectReport.objects.create(
            project=locked,
            provider_organisation=provider_organisation,
            message=text,
            actor_label=actor.label[:200],
            created_at=timezone.now(),
        )
        audit_record(
            actor=_for(actor, provider_organisation),
            action="projects.report.create",
            object_type=REPORT,
            object_id=str(report.pk),
            after={"project": locked.number, "provider": provider_organisation.code, "message": text},
            reason=text[:2000],
        )
        _mail_service("report", locked.pk, report_id=report.pk, message=text, by=actor.label)
    return report


def project_report_close(*, actor: Actor, report: ProjectReport, note: str = "") -> ProjectReport:
    """The service closes a case (staff only); closing a closed case is refused."""
    _require_staff(actor)
    with transaction.atomic():
        locked = ProjectReport.objects.select_for_update().select_related("project").get(pk=report.pk)
        if locked.status != ProjectReportStatus.OPEN:
            raise TransitionNotAllowed(_("Deze melding is al afgesloten."))
        locked.status = ProjectReportStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = actor.label[:200]
        locked.closing_note = (note or "").strip()[:2000]
        locked.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
        audit_record(
            actor=actor,
            action="projects.report.close",
            object_type=REPORT,
            object_id=str(locked.pk),
            before={"project": locked.project.number, "status": ProjectReportStatus.OPEN.value},
            after={"project": locked.project.number, "status": locked.status},
            reason=locked.closing_note or "afgesloten",
        )
    return locked


def project_request_stop_with_proof(*, actor: Actor, project: Project, reason: str, proof: Any) -> Project:
    """*Stopzetten* by the provider: the proof checked and stored, the stop requested, the service mailed."""
    _require_provider(actor, project)
    if isinstance(proof, str):
        if not proofs.is_stored_proof(project, proof):
            raise InvalidInput(_("Voeg een bewijsstuk toe."), field="proof", code="proof_required")
        stored = proof
    else:
        if project.status != ProjectStatus.LOPEND:  # refused before a file is stored
            raise TransitionNotAllowed(
                _("Stopzetten kan enkel voor een lopend project (project %(number)s is %(status)s)."),
                number=project.number,
                status=ProjectStatus(project.status).label,
            )
        proofs.check_proof(proof)
        stored, _name = proofs.save_proof(project, secrets.token_urlsafe(12), proof)
    with transaction.atomic():
        changed = project_request_stop(actor=actor, project=project, reason=reason, proof=stored)
        _mail_service(
            "stop_requested",
            changed.pk,
            reason=changed.status_changes.order_by("-at", "-id")[0].reason,
            proof=stored,
            by=actor.label,
        )
    return changed
