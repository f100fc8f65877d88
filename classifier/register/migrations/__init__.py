"""Alembic migrations of the register, shipped as package data and run by :func:`upgrade`."""
