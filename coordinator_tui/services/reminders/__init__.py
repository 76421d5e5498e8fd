"""Reminders and paper: contact consent, reminder batches, the gateway's replies, letters.
Import the module that defines a name (consent, batches, replies, letters, desk)."""
