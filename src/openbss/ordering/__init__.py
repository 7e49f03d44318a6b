"""Product ordering (TMF622): capture, validation, pricing and orchestration of orders."""
