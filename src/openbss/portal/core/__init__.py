"""The portal's framework: login and sessions, CSRF, templates, translations, form errors."""
