"""Words for the codes stored on a volunteer, in the language of the request."""

from server.activities.models import ServiceType
from server.i18n import _
from server.volunteers.models import IdType, RegistrationStatus


def sex_labels() -> dict[str, str]:
    return {"male": _("Male"), "female": _("Female")}


def id_type_labels() -> dict[str, str]:
    return {
        IdType.resident: _("Resident ID card"),
        IdType.foreigner: _("Foreigner's permanent residence ID card"),
        IdType.other: _("Passport or Hong Kong, Macao or Taiwan permit"),
    }


def service_type_labels() -> dict[str, str]:
    return {
        ServiceType.housekeeping: _("Housekeeping"),
        ServiceType.legal_aid: _("Legal aid"),
        ServiceType.health_care: _("Health care"),
        ServiceType.companionship: _("Companionship"),
        ServiceType.drug_aids_prevention: _("Drug and AIDS prevention"),
        ServiceType.first_aid: _("First aid"),
        ServiceType.road_safety: _("Road safety"),
        ServiceType.environment: _("Environment"),
    }


def status_labels() -> dict[str, str]:
    return {
        RegistrationStatus.pending: _("Waiting for approval"),
        RegistrationStatus.approved: _("Approved"),
        RegistrationStatus.rejected: _("Not approved"),
    }


def all_labels() -> dict[str, dict[str, str]]:
    """Every table above, for templates: `labels.sex[volunteer.sex]`."""
    return {
        "sex": sex_labels(),
        "id_type": id_type_labels(),
        "service_type": service_type_labels(),
        "status": status_labels(),
    }
