"""The portal's projects pages (included by ``kmop.portal.urls``, namespace ``portal``; seed 004 §2.3)."""

from django.urls import URLPattern, path

from kmop.portal import views_projects

urlpatterns: list[URLPattern] = [
    path("", views_projects.projects, name="projects"),
    path("export/<str:fmt>/", views_projects.projects_export, name="projects-export"),
    path("<str:number>/", views_projects.project, name="project"),
    path("<str:number>/<str:action>/", views_projects.project_action, name="project-action"),
    path(
        "<str:number>/bevestigen/<str:token>/",
        views_projects.project_action_confirm,
        name="project-confirm",
    ),
]
