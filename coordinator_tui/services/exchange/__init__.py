"""Exchange with the clinic's EHR (issue #19): HL7 v2 messages and FHIR R4 resources applied
through the desk's own rules, one transaction each; the outbox of messages the desk's changes
produce; the FHIR bulk export."""
