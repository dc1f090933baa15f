"""The business's systems as outbox destinations: a signed webhook and HubSpot (docs/business.md)."""
