"""Billing (出帐): the maths of a bill, as pure functions over plain data.

``cycles`` says which calendar month a bill covers and when it is issued and due;
``proration`` turns a product's dated status and plan history into rental lines;
``discounts`` applies product discounts, account discounts, caps (封顶) and minimum spend
(保底) in that order; ``tax`` holds the dated tax regimes and the tax of each line; ``totals``
assembles lines into a bill summary whose items sum to its total. ``lines`` holds the
charge line every step reads and writes. None of these modules touches a database: the bill
run reads the inventory, ratings and accounts, calls them, and stores what they return.
"""
