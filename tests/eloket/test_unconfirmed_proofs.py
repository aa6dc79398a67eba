"""``eloket.unconfirmed_proofs``: proof documents of stop requests that were never confirmed are deleted after
a day; a confirmed request's document and a recent one stay."""

from __future__ import annotations

import os
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from kmop.eloket.daily_jobs import delete_unconfirmed_proofs
from kmop.jobs.registry import daily_jobs
from kmop.projects import services as project_services
from kmop.projects.models import ProjectStatus
from kmop.wallet import services as wallet_services
from tests.projects.conftest import SYSTEM, Setting


def _stored(name: str, *, days_old: float) -> str:
    path = default_storage.save(name, ContentFile(b"%PDF-1.7"))
    moment = (timezone.now() - timedelta(days=days_old)).timestamp()
    os.utime(default_storage.path(path), (moment, moment))
    return path


def test_only_old_unconfirmed_documents_are_deleted(setting: Setting, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    project = setting.submit()
    wallet_services.book_deposit(
        actor=SYSTEM, project=project, amount=project.own_contribution, reference="t:1"
    )
    project = project_services.project_mark_deposited(actor=SYSTEM, project=project)
    confirmed = _stored(f"bewijsstukken/{project.number}/a/attest.pdf", days_old=3)
    project_services.project_request_stop(actor=setting.els, project=project, reason="Ziek.", proof=confirmed)
    assert project.status_changes.latest("at", "id").to_status == ProjectStatus.STOPZETTING_AANGEVRAAGD
    abandoned = _stored(f"bewijsstukken/{project.number}/b/attest.pdf", days_old=3)
    recent = _stored(f"bewijsstukken/{project.number}/c/attest.pdf", days_old=0.2)

    assert delete_unconfirmed_proofs(timezone.now()) == 1
    assert default_storage.exists(confirmed)
    assert not default_storage.exists(abandoned)
    assert default_storage.exists(recent)
    assert delete_unconfirmed_proofs(timezone.now()) == 0  # nothing more to do


def test_nothing_stored_nothing_to_do(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    assert delete_unconfirmed_proofs(timezone.now()) == 0


def test_the_job_is_registered() -> None:
    assert "eloket.unconfirmed_proofs" in [job.name for job in daily_jobs()]
