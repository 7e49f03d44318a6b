"""Interconnect settlement between carriers: dated rules priced by the rating kernel."""
