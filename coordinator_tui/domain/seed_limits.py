"""What a synthetic clinic (seed, demo) can be asked for; checked on the command line before
any file is made, and again by the seeding service."""

# MRNs have seven digits.
MAX_SEED_PATIENTS = 9_999_999
# The clinic day's sane years: birth dates reach 95 years before it, the schedule 400 days.
FIRST_YEAR, LAST_YEAR = 1900, 2200
