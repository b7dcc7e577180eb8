"""Utilities for people who write or test recommenders."""
