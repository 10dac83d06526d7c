"""Scenes and the gallery: upload, read, update, delete, likes, views, forks, featured."""
