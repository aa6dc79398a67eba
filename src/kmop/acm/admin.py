from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kmop.acm.models import User


@admin.register(User)
class KmopUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), (None, {"fields": ("national_number",)}))
    list_display = ("username", "first_name", "last_name", "national_number", "is_staff")
