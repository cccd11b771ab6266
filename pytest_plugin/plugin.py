"""Registered through the `pytest11` entry point; fixtures land with the plugin issue."""
