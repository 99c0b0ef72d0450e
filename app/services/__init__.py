"""Services: database-backed operations shared by screens and the REST API."""
