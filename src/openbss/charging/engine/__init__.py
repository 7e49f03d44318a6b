"""The online charging engine: RFC 4006 credit-control sessions priced by the batch tariff model.

Gateways (Diameter Gy, Nchf) import :mod:`openbss.charging.engine.contract` only.
"""
