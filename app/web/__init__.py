"""Adapters shared by the screens (app/views) and the REST API (app/api): nothing here holds business rules."""
