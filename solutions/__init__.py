"""Reference solutions (instructor only). starter/ is generated from these files."""
