"""Forget the cached regime snapshots of this process whenever a scheme table changes."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from kmop.schemes.models import DATED_MODELS, Scheme


def _clear(sender: Any, **kwargs: Any) -> None:
    from kmop.schemes.services import clear_cache

    clear_cache()


_MODELS: tuple[type[Model], ...] = (Scheme, *DATED_MODELS)
for _model in _MODELS:
    post_save.connect(_clear, sender=_model, dispatch_uid=f"schemes-cache-save-{_model.__name__}")
    post_delete.connect(_clear, sender=_model, dispatch_uid=f"schemes-cache-delete-{_model.__name__}")
