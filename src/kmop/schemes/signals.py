"""Forget the cached regime snapshots of this process whenever a scheme table changes."""
