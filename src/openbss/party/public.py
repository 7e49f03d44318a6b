"""What other domains may use of party (TMF632): finding a party and its two entity types.

The entity classes are published for loading and type annotations; queries on party's tables
stay in this domain (``models`` and ``repository``-style code are private, enforced by
import-linter).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from openbss.party.models import Individual, Organization
from openbss.party.service import find_party, parties_with_identity_number

Party = Individual | Organization


def get_party(session: Session, party_id: str) -> Party | None:
    """The individual or organization with this id, whichever it is."""
    return session.get(Individual, party_id) or session.get(Organization, party_id)


def party_kind(party: Party) -> str:
    """``"Individual"`` or ``"Organization"``: the TMF ``@referredType`` of a party."""
    return "Individual" if isinstance(party, Individual) else "Organization"


def party_name(party: Party) -> str:
    """How a party is addressed: an individual's family then given name (Chinese order), an
    organization's trading name, else its registered name."""
    if isinstance(party, Individual):
        return f"{party.family_name or ''}{party.given_name or ''}"
    return party.trading_name or party.name or ""


__all__ = [
    "Individual",
    "Organization",
    "Party",
    "find_party",
    "get_party",
    "parties_with_identity_number",
    "party_kind",
    "party_name",
]
