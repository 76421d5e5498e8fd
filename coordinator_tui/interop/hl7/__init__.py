"""HL7 v2: reading messages (parse), writing them (build) and carrying them over MLLP (mllp).
Knows nothing of the database; services/exchange/ applies what is read here."""
