"""The dance library: sources (ingested videos) cut into described 8-beat moves."""
