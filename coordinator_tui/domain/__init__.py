"""Pure front-desk rules: no I/O, no database, no Textual. Fast to test."""
