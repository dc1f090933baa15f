"""Discord adapter (discord.py). Importing this package does not import discord.py."""
