from django.urls import URLPattern, path

from activities.api import ActivityListView, ActivityWeeksView

urlpatterns: list[URLPattern] = [
    path("simulations/<int:pk>/activities/", ActivityListView.as_view(), name="simulation-activities"),
    path("simulations/<int:pk>/activities/weeks/", ActivityWeeksView.as_view(), name="simulation-activity-weeks"),
]
