"""The web portal for customer service representatives and analysts, served under /portal.

Server-rendered (FastAPI + Jinja2 + htmx); every screen calls the domain services with the
:class:`~openbss.kit.security.Principal` of the logged-in user, so the portal can do nothing
the user's role and province could not do through the API. See README.md beside this file.
"""
