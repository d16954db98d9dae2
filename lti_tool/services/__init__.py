"""Domain rules as plain functions with explicit arguments: no `request`, callers commit."""
