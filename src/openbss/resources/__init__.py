"""Shared machinery for TM Forum resources: document rows, repository and service base.

A TMF resource is stored as one row: typed columns for what the product queries, constrains
and indexes (name, status, province, identifiers), plus ``doc``, the resource's TMF JSON
representation (without ``href``, which depends on where the API is served). Extension
attributes (``@type`` polymorphism) survive round trips because the document keeps them.
"""
