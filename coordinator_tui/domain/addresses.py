"""Country and state of an address. Pure: no I/O.

Country is an ISO 3166 alpha-2 code. The list of codes is libphonenumber's region list (already
a dependency, kept current by Google): every inhabited country and territory, plus a few codes
ISO reserves for them (AC, TA, XK). Uninhabited ones (AQ, BV, HM...) are absent: no patient lives there.

State: for US addresses a USPS code (full names such as Synthea's "Massachusetts" are turned into
the code); for other countries free text (a province, a county), checked only for length.
"""

from __future__ import annotations

import phonenumbers

DEFAULT_COUNTRY = "US"
REGION_MAX = 50

# USPS two-letter codes: the states, DC, the territories, the freely associated states and the
# military "states". Data, not logic.
US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands", "PR": "Puerto Rico",
    "VI": "Virgin Islands", "UM": "United States Minor Outlying Islands",
    "FM": "Federated States of Micronesia", "MH": "Marshall Islands", "PW": "Palau",
    "AA": "Armed Forces Americas", "AE": "Armed Forces Europe", "AP": "Armed Forces Pacific",
}
_BY_NAME = {" ".join(name.casefold().split()): code for code, name in US_STATES.items()}
_BY_NAME["washington dc"] = _BY_NAME["washington d.c."] = "DC"
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


class AddressInvalid(ValueError):
    """The message says what to type; it never repeats what was typed."""


def normalise_country(text: str) -> str:
    """'us' -> 'US'; AddressInvalid for anything that is not a known 2-letter country code."""
    code = text.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise AddressInvalid("type the 2-letter country code, like US or MX")
    if code not in COUNTRIES:
        raise AddressInvalid("is not a country code; type the 2-letter code, like US or MX")
    return code


def normalise_region(text: str, country: str | None = DEFAULT_COUNTRY) -> str:
    """A US state as its USPS code ('ma', 'Massachusetts' -> 'MA'); elsewhere the text as typed.
    `text` is already trimmed and free of control characters (the caller checks those)."""
    if (country or DEFAULT_COUNTRY).strip().upper() != "US":
        if len(text) > REGION_MAX:
            raise AddressInvalid(f"is too long (at most {REGION_MAX} characters)")
        return text
    folded = " ".join(text.casefold().split())
    if folded.upper() in US_STATES:
        return folded.upper()
    if folded in _BY_NAME:
        return _BY_NAME[folded]
    raise AddressInvalid("is not a US state; type its 2-letter code, like MA or NY")
