"""Mediation (data collection and exchange): usage from the network, normalised, deduplicated,
guided to products and accounted for record by record."""
