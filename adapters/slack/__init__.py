"""Slack adapter (slack-bolt). Importing this package does not import slack-bolt."""
