#!/usr/bin/env python3
"""Write N synthetic XDM-style profiles as JSON Lines, the same file for the same seed.

usage: gen_profiles.py N SEED OUT.jsonl

Shaped like the example in issue 3: identityMap (Email primary, CRMID), person
name / birthYear / birthDate, personalEmail, mobilePhone, homeAddress, loyalty,
and an array field (person.favoriteColors). Some fields are left out on purpose
so isNull() and missing-field semantics get exercised.
"""
import json
import random
import sys

FIRST = ["Ann", "Joe", "Min", "Sara", "Liam", "Yuna", "Omar", "Eva", "Kenji", "Lea", "Noah", "Ji-ho", "Maya", "Ivan", "Zoe"]
LAST = ["Lee", "Kim", "Park", "Smith", "Garcia", "Muller", "Tanaka", "Kowalski", "Rossi", "Nguyen", "King", "Kirby", "Brown"]
PLACES = [("KR", "Seoul"), ("KR", "Busan"), ("US", "Austin"), ("US", "Boston"), ("CA", "Toronto"), ("CA", "Montreal"),
          ("DE", "Berlin"), ("FR", "Nantes"), ("JP", "Osaka"), ("GB", "London"), ("ES", "Madrid"), ("IT", "Milan")]
DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "example.co.kr"]
TIERS = ["bronze", "silver", "gold", "platinum"]
COLORS = ["red", "blue", "green", "black", "white", "purple", "orange"]
PHONE_PREFIX = ["+82-10", "+1-512", "+49-30", "+33-2", "+81-6", "+44-20"]


def profile(i: int, rng: random.Random) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first.lower()}.{last.lower()}{i}@{rng.choice(DOMAINS)}"
    year = rng.randint(1940, 2008)
    country, city = rng.choice(PLACES)
    doc = {
        "identityMap": {"Email": [{"id": email, "primary": True}], "CRMID": [{"id": f"C-{i}"}]},
        "person": {
            "name": {"firstName": first, "lastName": last},
            "birthYear": year,
            "birthDate": f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "favoriteColors": rng.sample(COLORS, rng.randint(0, 3)),
        },
        "personalEmail": {"address": email},
        "homeAddress": {"countryCode": country, "city": city},
    }
    if rng.random() < 0.8:
        doc["mobilePhone"] = {"number": f"{rng.choice(PHONE_PREFIX)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"}
    if rng.random() < 0.9:
        doc["loyalty"] = {"points": rng.randint(0, 20000), "tier": rng.choice(TIERS)}
    return doc


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    count, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8") as f:
        for i in range(count):
            f.write(json.dumps(profile(i, rng), separators=(",", ":")))
            f.write("\n")


if __name__ == "__main__":
    main()
