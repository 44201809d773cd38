"""The bot's own web server: webhooks, signed links to rendered files, health."""
