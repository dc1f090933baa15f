"""Plain dataclasses and pure rules, one module per feature."""
