"""OAuth tables (written in the identity issue)."""
