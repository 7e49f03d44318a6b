"""Inter-province settlement: usage of one province's subscribers served by another."""
