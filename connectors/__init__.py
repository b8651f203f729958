"""Connectors: one module per remote service, and the sandbox emulators."""
