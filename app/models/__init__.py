"""All Hukou Desk models; importing this module registers every table on FAB's metadata."""
from flask_appbuilder.security.sqla.models import Role, User  # noqa: F401  (FAB's tables live in the same metadata)

from .calendar import CalendarDay, CalendarYear  # noqa: F401
from .application import Application, ApplicationHistory, ChecklistItem, Material, MaterialType  # noqa: F401
from .org import Department, UserDepartment, UserResident  # noqa: F401
from .policy import EligibilityRule  # noqa: F401
from .records import ArchiveRecord, ArchiveSequence, Fee, PageLoan  # noqa: F401
from .resident import Resident  # noqa: F401
from .jobs import ImportBatch, Job  # noqa: F401
from .notifications import Delivery, DeliveryAttempt, Notification  # noqa: F401
from .system import AuditAnchor, AuditLog, LoginLock, LoginSession, TokenRevocation  # noqa: F401
from .unit import Certificate, CertificateSequence, HandbookTip, UnitProfile  # noqa: F401  (issue 9: print forms)
