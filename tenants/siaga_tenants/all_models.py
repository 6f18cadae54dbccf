"""Every model of every package, imported so the metadata is complete (Alembic, tests)."""

from siaga_platform.alerts import models as alert_models
from siaga_platform.alerts import thresholds as alert_thresholds
from siaga_platform.applications import models as application_models
from siaga_platform.audit import models as audit_models
from siaga_platform.auth import models as auth_models
from siaga_platform.db.base import Base
from siaga_platform.delivery import models as delivery_models
from siaga_platform.elections import models as election_models
from siaga_platform.hardware import models as hardware_models
from siaga_platform.letters import models as letter_models
from siaga_platform.limits import models as limit_models
from siaga_platform.stock import models as stock_models
from siaga_tenants.memberships import models as membership_models
from siaga_tenants.regions import models as region_models
from siaga_tenants.registry import models as registry_models

metadata = Base.metadata

__all__ = [
    "alert_models",
    "alert_thresholds",
    "application_models",
    "audit_models",
    "auth_models",
    "delivery_models",
    "election_models",
    "hardware_models",
    "letter_models",
    "limit_models",
    "membership_models",
    "metadata",
    "region_models",
    "registry_models",
    "stock_models",
]
