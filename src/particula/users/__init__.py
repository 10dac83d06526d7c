"""Users: profiles, accounts, avatars."""
