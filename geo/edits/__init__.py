"""Editing HSDS records (organizations, services, locations) through the API: what a request may
say (schemas), who may change what (access), a record's state for the audit trail (snapshot), and
the writes (write)."""

from geo.edits.schemas import (
    PATCH_MODELS,
    LocationIn,
    LocationPatch,
    OrganizationIn,
    OrganizationPatch,
    ServiceIn,
    ServicePatch,
)
from geo.edits.snapshot import snapshot
from geo.edits.write import (
    create_location,
    create_organization,
    create_service,
    restore,
    retire,
    update,
)

__all__ = [
    "PATCH_MODELS", "LocationIn", "LocationPatch", "OrganizationIn", "OrganizationPatch", "ServiceIn",
    "ServicePatch", "create_location", "create_organization", "create_service", "restore", "retire", "snapshot",
    "update",
]
