"""Seed step of the accounts: in the demo, a staff account for the Toepassingsbeheerder demo person.

Until login through the Toegangsbeheer exists, VLAIO staff use the staff pages (``/beheer/admin/``) with a
password account. The demo account has exactly the rights to correct the legal representatives and the
national-register persons and to read the KBO register; it is no superuser. ``kmop seed`` refuses to run in
production, so this account never exists there.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.translation import gettext as _

from kmop.acm.models import User
from kmop.audit.services import audit_record
from kmop.registers.synthetic_seed import SeedContext, SeedStep

DEMO_STAFF_PERSON = "vlaio_admin"
# A demo-only password, shown on the demo persons page; never used outside demo mode.
DEMO_STAFF_PASSWORD = "demo-beheer-kmop"  # noqa: S105
DEMO_STAFF_PERMISSIONS = {
    "registers": [
        "add_legalfunction",
        "change_legalfunction",
        "view_legalfunction",
        "change_legalfunctioncode",
        "view_legalfunctioncode",
        "change_nationalregisterperson",
        "view_nationalregisterperson",
        "view_enterprise",
        "view_establishment",
        "view_denomination",
        "view_address",
        "view_contact",
        "view_activity",
        "view_branch",
        "view_kbocode",
        "view_kboextract",
    ],
    "audit": ["view_auditevent"],
}


def demo_staff_username() -> str:
    from kmop.demo.personas import PERSONS

    person = next(p for p in PERSONS if p.key == DEMO_STAFF_PERSON)
    return f"{person.first_name}.{person.last_name}".lower()


@transaction.atomic
def _step_demo_staff_account(ctx: SeedContext) -> None:
    if not ctx.demo:
        return
    from kmop.demo.personas import PERSONS

    person = next(p for p in PERSONS if p.key == DEMO_STAFF_PERSON)
    user, created = User.objects.update_or_create(
        username=demo_staff_username(),
        defaults={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "national_number": person.national_number,
            "is_staff": True,
            "is_superuser": False,
            "is_active": True,
        },
    )
    user.set_password(DEMO_STAFF_PASSWORD)
    user.save(update_fields=["password"])
    permissions = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codenames in DEMO_STAFF_PERMISSIONS.items()
        for codename in codenames
    ]
    user.user_permissions.set(permissions)
    audit_record(
        actor=ctx.actor,
        action="user.create" if created else "user.update",
        object_type="User",
        object_id=str(user.pk),
        after={
            "username": user.username,
            "is_staff": True,
            "permissions": sorted(p.codename for p in permissions),
        },
        reason=_("demo-account voor het beheer"),
    )
    ctx.stdout.write("  " + _("demo-beheeraccount: %(username)s") % {"username": user.username} + "\n")


STEPS = [SeedStep("demo_staff_account", _step_demo_staff_account)]
