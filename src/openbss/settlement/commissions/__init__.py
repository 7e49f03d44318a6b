"""Channel commissions: what agents and retail halls earn per activation, per recharge and as a
share of revenue, and what is clawed back when a line ceases early; monthly runs and statements.
"""
