"""Number resources (号码资源): pools per local network and prefix, reservation, golden numbers."""
