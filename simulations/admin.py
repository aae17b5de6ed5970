from django.contrib import admin

from simulations.models import Contact, Simulation

CONTACT_INLINE_FIELDS = ("firstname", "lastname", "email", "jobtitle", "company", "source", "created_at")


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    can_delete = False
    fields = CONTACT_INLINE_FIELDS
    readonly_fields = CONTACT_INLINE_FIELDS
    show_change_link = True


@admin.register(Simulation)
class SimulationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "theme", "industry", "record_frequency", "status", "owner", "created_at"]
    list_filter = ["status", "record_frequency", "created_at"]
    search_fields = ["name", "theme", "industry", "owner__username"]
    readonly_fields = ["created_at", "updated_at"]
    list_select_related = ["owner"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["id", "firstname", "lastname", "email", "company", "source", "simulation", "created_at"]
    list_filter = ["source", "simulation"]
    search_fields = ["firstname", "lastname", "email", "company", "jobtitle"]
    readonly_fields = ["simulation", "job", "source", "created_at"]
    list_select_related = ["simulation"]
