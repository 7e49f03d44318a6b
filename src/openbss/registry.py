"""Every ORM model, imported so that ``metadata`` knows every table (Alembic, tests)."""

from __future__ import annotations

import openbss.account.models
import openbss.audit.models
import openbss.auth.models
import openbss.billing.models
import openbss.catalog.models
import openbss.customer.models
import openbss.events.models
import openbss.inventory.models
import openbss.mediation.models
import openbss.numbering.models
import openbss.ordering.models
import openbss.party.models
import openbss.payments.collection_models
import openbss.payments.dunning.models
import openbss.payments.models
import openbss.provisioning.models
import openbss.rating.models
import openbss.settlement.commissions.models
import openbss.settlement.models
import openbss.settlement.partners.models  # noqa: F401
from openbss.db.base import Base

metadata = Base.metadata
