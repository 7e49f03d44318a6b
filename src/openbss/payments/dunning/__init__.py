"""Collections: late fees, dunning, credit control, deposits and write-off."""
