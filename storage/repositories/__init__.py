"""SQL implementations of the core's repository ports, one module per area."""
