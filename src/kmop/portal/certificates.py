"""The certificate of an approved registration (seed 004: "registratie is toegekend… U ontvangt dit
certificaat per mail"): when the kmo-portefeuille service approves a registration (``registration_decide``,
→ G), the certificate PDF is mailed to the provider's contact e-mail address (and the department's, for a
department's registration) after the decision is committed, in the provider's language (``Provider.language``:
``portal/mail/certificate_<language>.txt``; the attached PDF in that language too). A mail that cannot be made
or stored is logged, never raised: the decision stands."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.template import loader
from django.utils import translation

from kmop.notifications import mail
from kmop.portal import pdf
from kmop.portal.mail import mail_language
from kmop.providers.models import VALID_STATUSES, Registration

logger = logging.getLogger(__name__)


def certificate_message(registration: Registration) -> EmailMessage | None:
    """The mail with the certificate attached (None: no address to send it to)."""
    provider = registration.provider
    recipients = [provider.contact_email] if provider.contact_email else []
    department = registration.department if registration.department_id else None
    if department is not None and department.contact_email and department.contact_email not in recipients:
        recipients.append(department.contact_email)
    if not recipients:
        logger.info("registration %s: no contact e-mail for the certificate", registration.number)
        return None
    context: dict[str, Any] = {"registration": registration, "provider": provider, "department": department}
    language = mail_language(provider.language)
    with translation.override(language):
        subject = " ".join(
            loader.render_to_string(f"portal/mail/certificate_subject_{language}.txt", context).split()
        )
        body = loader.render_to_string(f"portal/mail/certificate_{language}.txt", context)
        content = pdf.certificate_pdf(registration)
    message = mail.message(subject, body, recipients, language=language)
    message.attach(f"certificaat-{registration.number}.pdf", content, "application/pdf")
    message.kmop_organisation = provider.organisation  # type: ignore[attr-defined]
    return message


def send_certificate(registration_id: int) -> bool:
    """Mail the certificate of the registration if it is (still) approved; False when nothing was sent (no
    address, no longer approved, or the mail failed: logged)."""
    try:
        registration = (
            Registration.objects.select_related("provider__organisation", "department__department")
            .filter(pk=registration_id)
            .first()
        )
        if registration is None or registration.status not in VALID_STATUSES:
            return False
        message = certificate_message(registration)
        if message is None:
            return False
        message.send()
    except Exception:
        logger.exception("registration %s: the certificate could not be mailed", registration_id)
        return False
    return True


def send_certificate_on_commit(registration: Registration) -> None:
    """Mail the certificate once the caller's transaction commits (nothing if it rolls back)."""
    registration_id = registration.pk
    transaction.on_commit(lambda: send_certificate(registration_id), robust=True)
