"""Service orders to the OSS (TMF641) and the network-element adapters that carry them out."""
