"""The HTTP API: TMF Open APIs under /tmf-api and the product's own under /api/v1."""
