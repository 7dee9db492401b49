"""Hidden graders (instructor only)."""
