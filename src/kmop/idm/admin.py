"""Read-only admin pages of the IDM: changes go through the services (audited), never through the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kmop.idm.models import (
    AdministratorAppointment,
    Department,
    Organisation,
    Person,
    RightDefinition,
    RightGrant,
    WorkRelation,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "target_group", "is_natural_person", "active"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "code", "name"]


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["last_name", "first_name", "email", "language"]
    search_fields = ["national_number", "last_name"]


@admin.register(WorkRelation)
class WorkRelationAdmin(ReadOnlyAdmin):
    list_display = ["person", "organisation", "category", "begin_date", "end_date", "ended_at"]
    list_select_related = ["person", "organisation"]


@admin.register(RightDefinition)
class RightDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["code", "label_nl", "context", "max_months", "needs_activation", "active"]


@admin.register(RightGrant)
class RightGrantAdmin(ReadOnlyAdmin):
    list_display = ["work_relation", "right", "context_value", "begin_date", "end_date", "ended_at"]
    list_select_related = ["work_relation__person", "work_relation__organisation", "right"]


@admin.register(AdministratorAppointment)
class AdministratorAppointmentAdmin(ReadOnlyAdmin):
    list_display = [
        "organisation",
        "person",
        "level",
        "domain",
        "source",
        "begin_date",
        "end_date",
        "ended_at",
    ]
    list_select_related = ["person", "organisation"]
