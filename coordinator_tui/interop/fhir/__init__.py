"""FHIR R4: reading resources and Bundles (validated with fhir.resources' R4B classes plus our
own checks of the code bindings it does not enforce), mapping them to the desk's forms, and the
bulk NDJSON export written from plain dicts."""
