#!/usr/bin/env python3
"""Write N profiles and M ExperienceEvents as JSON Lines, the same files for the same seed.

usage: gen_events.py N M SEED NOW_EPOCH PROFILES.jsonl EVENTS.jsonl

Profiles: identityMap.Email u<i>@example.com (primary), homeAddress.countryCode,
loyalty.tier. Events over the 60 days before NOW: page views (~75%), cart adds
(~17%) and purchases (~8%, with commerce.order.priceTotal), spread over profiles
with a Pareto skew (a few profiles have many events, most have a few); 60% of
purchases follow a cart add of the same profile 0-20 hours earlier.
"""
import random
import sys

COUNTRIES = ["US", "US", "US", "CA", "KR", "DE", "FR", "GB"]
TIERS = ["bronze", "silver", "gold", "platinum"]


def iso(seconds: float) -> str:
    import time
    whole = int(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((seconds - whole) * 1000):03d}Z"


def main() -> None:
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    n, m, seed, now = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    rng = random.Random(seed)
    with open(sys.argv[5], "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(
                f'{{"identityMap":{{"Email":[{{"id":"u{i}@example.com","primary":true}}]}},'
                f'"homeAddress":{{"countryCode":"{rng.choice(COUNTRIES)}"}},"loyalty":{{"tier":"{rng.choice(TIERS)}"}}}}\n'
            )
    weights = [rng.paretovariate(1.3) for _ in range(n)]
    total = 0.0
    cumulative = []
    for w in weights:
        total += w
        cumulative.append(total)
    span = 60 * 86400
    written = 0
    with open(sys.argv[6], "w", encoding="utf-8") as f:
        while written < m:
            owners = rng.choices(range(n), cum_weights=cumulative, k=min(100_000, m - written))
            lines = []
            for owner in owners:
                if written >= m:
                    break
                t = now - rng.random() * span
                r = rng.random()
                ident = f'"identityMap":{{"Email":[{{"id":"u{owner}@example.com"}}]}}'
                if r < 0.75:
                    lines.append(
                        f'{{"_id":"e{written}","timestamp":"{iso(t)}","eventType":"web.webpagedetails.pageViews",{ident},'
                        f'"web":{{"webPageDetails":{{"name":"p{rng.randint(1, 50)}"}}}}}}\n')
                    written += 1
                elif r < 0.92:
                    lines.append(
                        f'{{"_id":"e{written}","timestamp":"{iso(t)}","eventType":"commerce.productListAdds",{ident},'
                        f'"productListItems":[{{"SKU":"S{rng.randint(1, 500)}"}}]}}\n')
                    written += 1
                else:
                    if rng.random() < 0.6 and written + 1 < m:
                        lines.append(
                            f'{{"_id":"e{written}","timestamp":"{iso(t - rng.random() * 72000)}",'
                            f'"eventType":"commerce.productListAdds",{ident}}}\n')
                        written += 1
                    lines.append(
                        f'{{"_id":"e{written}","timestamp":"{iso(t)}","eventType":"commerce.purchases",{ident},'
                        f'"commerce":{{"order":{{"priceTotal":{rng.randint(5, 400)}.{rng.randint(0, 99):02d},'
                        f'"currencyCode":"USD"}}}}}}\n')
                    written += 1
            f.writelines(lines)


if __name__ == "__main__":
    main()
