"""Accounts and sign-in: passwords, tokens, devices, OAuth (Google, GitHub, Discord)."""
