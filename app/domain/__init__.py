"""Business rules of Hukou Desk: plain Python, no Flask, no database session."""
