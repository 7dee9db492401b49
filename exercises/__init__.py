"""Public tests (what students run)."""
