"""The e-loket's daily job for ``kmop daily``:

* ``eloket.unconfirmed_proofs``: a stop request's proof document (bewijsstuk) is stored when the form is sent,
  before the confirmation; when the request was never confirmed (the person left, the session ended: a
  session lives at most 12 hours) the file is deleted after a day. A confirmed request's document is kept (its
  path is in the project's status history).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from kmop.jobs.registry import DailyJob, JobContext
from kmop.projects.models import ProjectStatusChange

#: where the e-loket stores the proof documents: ``<ROOT>/<project number>/<form token>/<file>``
PROOF_ROOT = "bewijsstukken"
#: an unconfirmed document is kept this long (longer than a session)
KEEP = timedelta(days=1)


def _stored_proofs() -> list[str]:
    if not default_storage.exists(PROOF_ROOT):
        return []
    paths: list[str] = []
    numbers, _files = default_storage.listdir(PROOF_ROOT)
    for number in numbers:
        tokens, _files = default_storage.listdir(f"{PROOF_ROOT}/{number}")
        for token in tokens:
            _dirs, files = default_storage.listdir(f"{PROOF_ROOT}/{number}/{token}")
            paths.extend(f"{PROOF_ROOT}/{number}/{token}/{name}" for name in files)
    return paths


def delete_unconfirmed_proofs(day: datetime) -> int:
    """Delete the stored proof documents older than ``KEEP`` before ``day`` that no status change names."""
    stored = _stored_proofs()
    if not stored:
        return 0
    kept = set(ProjectStatusChange.objects.filter(proof_name__in=stored).values_list("proof_name", flat=True))
    deleted = 0
    for path in stored:
        if path not in kept and default_storage.get_modified_time(path) < day - KEEP:
            default_storage.delete(path)
            deleted += 1
    return deleted


def _unconfirmed_proofs(ctx: JobContext) -> str:
    start = timezone.make_aware(datetime.combine(ctx.day, time.min))
    return f"{delete_unconfirmed_proofs(start)} niet bevestigd(e) bewijsstuk(ken) verwijderd"


JOBS = [
    DailyJob(
        "eloket.unconfirmed_proofs",
        _unconfirmed_proofs,
        "Bewijsstukken van nooit bevestigde vragen tot stopzetting verwijderen (na een dag)",
    ),
]
