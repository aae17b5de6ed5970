from django.urls import URLPattern, path

from activities.api import ActivityListView

urlpatterns: list[URLPattern] = [
    path("simulations/<int:pk>/activities/", ActivityListView.as_view(), name="simulation-activities"),
]
