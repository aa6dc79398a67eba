from django.contrib import admin

from kmop.jobs.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["day", "job", "status", "attempts", "started_at", "finished_at", "summary"]
    list_filter = ["status", "job"]
    date_hierarchy = "day"
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # a record of what ran; `kmop daily --force` reruns a job
