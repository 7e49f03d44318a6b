"""Prepaid and online charging: balances, vouchers, the online charging engine and its network gateways."""
