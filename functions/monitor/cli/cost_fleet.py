"""`cost --regions a,b,c`: what each region after the first adds to a fleet.

The first region is the home and costs what one region always did, plus reading the
others' items each minute. Every added region runs the same function, canaries and
metrics, but keeps no table and publishes nothing: one conditional PutItem to the
home table per run, and one alarm, its heartbeat (infra/observability.py).
"""

from __future__ import annotations

from typing import Any

# A region of a fleet other than the home has this many alarms: its heartbeat.
ALARMS_PER_ADDED_REGION = 1
# The items a fleet member no longer has of its own: no table, no topic publish.
_NOT_IN_ADDED = ("DynamoDB", "SNS publishes")


def fleet_items(
    prices: dict[str, Any], regions: tuple[str, ...], runs: float, region_items: Any, item: Any
) -> list[Any]:
    """The added regions' items and the home's read of them. `region_items(region,
    alarms)` prices one region's core (cost._region_items); `item` is cost.Item."""
    Item = item  # noqa: N806 - the class, passed in: cost imports this module

    if len(regions) < 2:
        return []
    ddb = prices["dynamodb"]
    home, added = regions[0], regions[1:]
    items: list[Any] = []
    for region in added:
        core = region_items(region, ALARMS_PER_ADDED_REGION)
        items += [i for i in core if not i.name.startswith(_NOT_IN_ADDED)]
        # One conditional PutItem of a ~0.4 KB item per run, in the home's table.
        write = ddb["write_request_unit_per_million"] / 1e6
        items.append(
            Item("DynamoDB write to the home table", region, runs, "WRU", write, runs * write)
        )
    # The home reads every added region's item of the minute, consistently: one read
    # unit per item (under 4 KB) and run; a region that is late costs one more poll.
    reads = runs * len(added)
    read = ddb["read_request_unit_per_million"] / 1e6
    items.append(
        Item("DynamoDB reads of the regions' items", home, reads, "RRU", read, reads * read)
    )
    return items
