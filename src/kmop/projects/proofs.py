"""The proof document (bewijsstuk) of a stop request, shared by the e-loket, the providers' portal and the
providers' API: checked by its content (PDF, PNG or JPEG, at most 10 MB) and kept in the default storage
(``MEDIA_ROOT``) under ``bewijsstukken/<project number>/<token>/<file name>``.

* ``check_proof(file)``: ``InvalidInput`` (field ``proof``, a clear Dutch message) unless the name's extension
  is one of ``PROOF_TYPES``, the size at most ``PROOF_MAX_BYTES`` and the first bytes those of that type;
* ``save_proof(project, token, file) -> (stored name, file name)``;
* ``is_stored_proof(project, name)``: the stored name is one of this project's proofs (a name kept in a form's
  session between the form and its confirmation).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from kmop.projects.errors import InvalidInput
from kmop.projects.models import Project

__all__ = ["PROOF_MAX_BYTES", "PROOF_TYPES", "check_proof", "is_stored_proof", "save_proof"]

#: a proof document of a stop request: at most this many bytes
PROOF_MAX_BYTES = 10 * 1024 * 1024
#: accepted proof documents: extension → the file's first bytes (the content must match the name)
PROOF_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
#: the folder of the proofs in the default storage
PROOF_FOLDER = "bewijsstukken"


def check_proof(proof: Any, *, max_bytes: int | None = None) -> None:
    """Refuse (``InvalidInput``, field ``proof``) a file that is not a PDF, PNG or JPEG of at most 10 MB,
    judged by its extension and its first bytes."""
    if proof is None or not hasattr(proof, "read"):
        raise InvalidInput(_("Voeg een bewijsstuk toe."), field="proof", code="proof_required")
    name = PurePath(getattr(proof, "name", "") or "").name
    suffix = PurePath(name).suffix.lower()
    if suffix not in PROOF_TYPES:
        raise InvalidInput(
            _("Het bewijsstuk moet een PDF-bestand of een afbeelding (PNG of JPEG) zijn."),
            field="proof",
            code="proof_type",
        )
    size = getattr(proof, "size", None) or 0
    if size > (PROOF_MAX_BYTES if max_bytes is None else max_bytes):
        raise InvalidInput(
            _("Het bewijsstuk is te groot (ten hoogste 10 MB)."), field="proof", code="proof_too_large"
        )
    if size == 0:
        raise InvalidInput(_("Het bewijsstuk is leeg."), field="proof", code="proof_empty")
    proof.seek(0)
    head = proof.read(16)
    proof.seek(0)
    if not any(head.startswith(magic) for magic in PROOF_TYPES[suffix]):
        raise InvalidInput(
            _("De inhoud van het bewijsstuk is geen %(kind)s: kies het juiste bestand."),
            field="proof",
            code="proof_content",
            kind=suffix.lstrip(".").upper(),
        )


def save_proof(project: Project, token: str, proof: Any) -> tuple[str, str]:
    """Keep the proof document under the project's number; returns (stored name, file name)."""
    original = PurePath(getattr(proof, "name", "") or "bewijsstuk").name
    safe = get_valid_filename(original)[-100:] or "bewijsstuk"
    token = get_valid_filename(token)[:40] or "bewijs"
    stored = default_storage.save(f"{PROOF_FOLDER}/{project.number}/{token}/{safe}", proof)
    return stored, original[:200]


def is_stored_proof(project: Project, name: str) -> bool:
    """The name is a stored proof of this project (not a path elsewhere, not a missing file)."""
    path = PurePath(name or "")
    return (
        len(path.parts) == 4
        and path.parts[:2] == (PROOF_FOLDER, project.number)
        and ".." not in path.parts
        and default_storage.exists(str(path))
    )
