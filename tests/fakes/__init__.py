"""Loopback fakes of the chat platforms, for offline tests."""
