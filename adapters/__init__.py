"""Platform adapters: translate platform events to core commands and carry out core effects."""
