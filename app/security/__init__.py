"""Authentication, roles and row-level access for Hukou Desk."""
