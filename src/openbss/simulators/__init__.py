"""Simulators: stand-ins for the network, for demos, tests and benchmarks.

``traffic`` writes days of switch CDR files, ``cdr_writer`` writes TS 32.297 files of
TS 32.298 BER records as an MSC or a PGW would, and ``network_element`` is the ``simulated``
provisioning adapter (registered in the ``openbss.provisioning_adapters`` entry-point group).

They sit above the domains they drive (mediation, provisioning) and below the seed, the API
and the CLI; no production domain imports them.
"""
