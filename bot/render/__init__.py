"""Replies described neutrally (cards), fitted to Discord's limits, or printed as text."""
