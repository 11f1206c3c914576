"""`cost --regions a,b,c` prices a fleet: the home is one region's monitor, each added
region its probes, one write to the home table and one alarm."""

from functions.monitor.cli.cost import estimate


def by_region(report):
    regions: dict[str, list[dict]] = {}
    for item in report["items"]:
        regions.setdefault(item["region"], []).append(item)
    return regions


def test_given_one_region_then_the_bill_has_no_fleet_line():
    report = estimate(regions=("us-east-1",))
    names = [i["name"] for i in report["items"]]
    assert not [n for n in names if "home table" in n or "regions' items" in n]
    assert report["assumptions"]["alarms_per_added_region"] is None


def test_given_three_regions_then_each_added_region_costs_at_most_one_regions_core():
    # Given the bill of one region alone, when two regions are added to it
    alone = estimate(regions=("us-east-1",))["total_usd"]
    fleet = estimate(regions=("us-east-1", "eu-west-1", "ap-southeast-2"))
    regions = by_region(fleet)
    # Then each added region costs no more than the one region did, with one alarm
    # (its heartbeat), no table, no publish, and one write to the home table
    for region in ("eu-west-1", "ap-southeast-2"):
        lines = {i["name"]: i for i in regions[region]}
        assert sum(i["usd"] for i in lines.values()) <= alone
        assert lines["CloudWatch alarms"]["quantity"] == 1
        assert lines["DynamoDB write to the home table"]["quantity"] == 43_200
        assert not [n for n in lines if n.startswith(("SNS", "DynamoDB storage", "DynamoDB reads"))]
    # And the home pays for reading both regions' items every minute
    [read] = [
        i for i in regions["us-east-1"] if i["name"] == "DynamoDB reads of the regions' items"
    ]
    assert read["quantity"] == 2 * 43_200
    assert fleet["assumptions"]["alarms_per_added_region"] == 1
