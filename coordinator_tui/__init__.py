"""coordinator: the terminal application a clinic's front desk works in all day."""

__version__ = "0.1.0"
