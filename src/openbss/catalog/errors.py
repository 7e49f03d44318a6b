"""Catalog error codes: stable machine codes on the shared error hierarchy (kit/errors.py)."""

from __future__ import annotations

from openbss.kit.errors import Conflict, Unprocessable


class UnknownReference(Unprocessable):
    """A referenced catalog resource does not exist in the caller's scope."""

    code = "UNKNOWN_REFERENCE"


class InvalidReference(Unprocessable):
    """A reference that exists but may not be used here (self-reference, cycle, wrong kind)."""

    code = "INVALID_REFERENCE"


class InvalidPrice(Unprocessable):
    """A price that cannot be stored exactly: unknown type, currency, precision, unit."""

    code = "INVALID_PRICE"


class InvalidCharacteristic(Unprocessable):
    code = "INVALID_CHARACTERISTIC"


class UnknownServiceType(Unprocessable):
    code = "UNKNOWN_SERVICE_TYPE"


class MissingAttribute(Unprocessable):
    """An attribute the catalog needs (e.g. an offering's productSpecification) is absent."""

    code = "MISSING_ATTRIBUTE"


class ReferenceNotSellable(Conflict):
    """An offering becomes sellable while something it sells is not (yet, or any more)."""

    code = "REFERENCE_NOT_SELLABLE"


class InUse(Conflict):
    """A resource still referenced by another catalog resource cannot be deleted."""

    code = "IN_USE"


class DuplicateCode(Conflict):
    code = "DUPLICATE_CODE"


class PriceVersionConflict(Conflict):
    """A price change that would rewrite history or clash with the version schedule."""

    code = "PRICE_VERSION_CONFLICT"
