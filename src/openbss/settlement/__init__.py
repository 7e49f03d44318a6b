"""Settlement: partners, interconnect, revenue share, roaming, inter-province settlement and commissions."""
