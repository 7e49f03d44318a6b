"""Partners (TMF669 party roles, TMF668 partnership specifications) and their contracts.

Other domains use :mod:`openbss.settlement.partners.public`; ``models`` and ``repository``
are this package's own.
"""
