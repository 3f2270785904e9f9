"""Municipalities, schools, classes, publishers, users and their roles."""
