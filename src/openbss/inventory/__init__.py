"""Product inventory (TMF637): the subscriptions billing charges from, with status history."""
