"""The worked example of docs/architecture.md: a kudos feature, kept as files so it is tested.

`core/` is the example's bot/core/kudos/, `storage/` its storage/kudos/, `migration.py` its
migrations/versions/0002_kudos.py. check_kudos.py mounts them under those names and runs them.
"""
