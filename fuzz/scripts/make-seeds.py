#!/usr/bin/env python3
"""Builds the seed corpus fuzz/seeds/<target>/ from fosim's bundled scenarios, sweeps and
test fixtures. Run from the repository root after `cargo build --release`:

    python3 fuzz/scripts/make-seeds.py

Multi-file inputs (sweep + base, shards, saved runs, AWS record sets + health checks) are
joined with NUL bytes, as fuzz/src/lib.rs reads them.
"""
import glob, json, os, shutil, subprocess, tempfile

FOSIM = "target/release/fosim"
SEEDS = "fuzz/seeds"
SEP = b"\0"


def write(target, name, data):
    os.makedirs(f"{SEEDS}/{target}", exist_ok=True)
    with open(f"{SEEDS}/{target}/{name}", "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def shrink(scenario):
    """A cheap copy of a scenario: a few clients and resolvers, few requests."""
    s = json.loads(json.dumps(scenario))
    s.pop("$schema", None)
    for g in s.get("clients", {}).values():
        g["count"] = min(g.get("count", 1), 2)
        if "requests_per_s" in g:
            g["requests_per_s"] = min(g["requests_per_s"], 0.5)
    for p in s.get("resolvers", {}).values():
        if "count" in p:
            p["count"] = min(p["count"], 2)
    return s


def valid(path):
    return subprocess.run([FOSIM, "validate", path], capture_output=True).returncode == 0


def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="fosim-seeds-")
    scenarios = sorted(glob.glob("scenarios/*.json") + glob.glob("scenarios/real/*.json") + glob.glob("scenarios/bench/*.json"))
    scenarios.append("tests/data/small-run.json")
    tiny = []
    for path in scenarios:
        name = os.path.basename(path)
        write("scenario", name, read(path))
        small = shrink(json.load(open(path)))
        small_path = f"{tmp}/{name}"
        with open(small_path, "w") as f:
            json.dump(small, f, indent=1)
        if valid(small_path):
            write("scenario", "tiny-" + name, read(small_path))
            tiny.append(small_path)

    # Sweeps: the bundled ones (their bases are bundled in the harness), and small sweeps
    # over a tiny base given after a NUL.
    for path in glob.glob("scenarios/sweeps/*.json"):
        write("sweep", os.path.basename(path), read(path))
    base = read(f"{tmp}/basic-failover.json")
    basic = json.loads(base)
    hc = next(iter(basic["health_checks"]))
    record = next(iter(basic["dns"]["records"]))
    small_sweeps = {
        "tiny-threshold": {"name": "tiny", "scenario": "base.json", "runs": 2,
                           "parameters": {f"/health_checks/{hc}/failure_threshold": [1, 3]},
                           "objective": {"minimize": "/episodes/0/client_failover_s/p99",
                                         "subject_to": [{"metric": "/totals/false_failovers_per_day", "max": 1}]}},
        "tiny-ttl-range": {"name": "tiny-ttl", "scenario": "base.json", "runs": 1,
                           "parameters": {f"/dns/records/{record}/ttl": {"from": "10s", "to": "40s", "step": "30s"}},
                           "metrics": ["/episodes/0/detection_s", "/totals/availability"],
                           "plot": {"x": f"/dns/records/{record}/ttl"}},
        "tiny-labels": {"name": "tiny-labels", "scenario": "base.json", "runs": 1, "max_points": 10,
                        "parameters": {f"/health_checks/{hc}/request_interval": {"values": ["10s", "30s"], "labels": ["fast", "standard"]}},
                        "objective": {"minimize": "/totals/authoritative_queries_per_s", "for_each": f"/health_checks/{hc}/request_interval"}},
    }
    for name, sweep in small_sweeps.items():
        write("sweep", name + ".json", json.dumps(sweep, indent=1).encode() + SEP + base)

    # Shards: run a tiny sweep in 2 shards and 1 shard.
    sweep_dir = f"{tmp}/sweep"
    os.makedirs(sweep_dir)
    with open(f"{sweep_dir}/base.json", "wb") as f:
        f.write(base)
    with open(f"{sweep_dir}/sweep.json", "w") as f:
        json.dump(small_sweeps["tiny-threshold"], f)
    for shard in ["1/2", "2/2", "1/1"]:
        subprocess.run([FOSIM, "sweep", f"{sweep_dir}/sweep.json", "--shard", shard, "--out", f"{tmp}/out"],
                       check=True, capture_output=True)
    shards = f"{tmp}/out/tiny/shards"
    write("shards", "two-of-two", read(f"{shards}/shard-1-of-2.json") + SEP + read(f"{shards}/shard-2-of-2.json"))
    write("shards", "one-of-one", read(f"{shards}/shard-1-of-1.json"))
    write("shards", "missing-shard", read(f"{shards}/shard-2-of-2.json"))

    # Saved runs: tiny runs of a few scenarios (one with CloudWatch datapoints).
    for name in ["basic-failover.json", "cloudwatch-gray-failure.json", "alb-target-health.json", "calculated-zones.json"]:
        path = f"{tmp}/{name}"
        if path not in tiny:
            continue
        s = json.load(open(path))
        s["duration"] = "20m"
        s["timeline_bucket"] = "1m"
        for e in s["endpoints"].values():
            for fault in e.get("faults", []):
                fault["start"] = "5m"
                fault["duration"] = "5m"
                fault.pop("every", None)
        with open(path, "w") as f:
            json.dump(s, f)
        out = subprocess.run([FOSIM, "run", path, "--no-plots", "--runs", "2", "--out", f"{tmp}/runs"], capture_output=True)
        if out.returncode != 0:
            print("skipped", name, out.stderr.decode()[-300:])
            continue
        run = f"{tmp}/runs/{s['name']}"
        parts = [read(f"{run}/{n}") for n in ["report.json", "timeline.csv", "clients.csv", "checkers.csv"]]
        if os.path.exists(f"{run}/datapoints.csv"):
            parts.append(read(f"{run}/datapoints.csv"))
        write("saved_run", s["name"], SEP.join(parts))

    # Importers: the test fixtures.
    aws = "tests/data/import/aws"
    rt = "tests/data/import/roundtrip"
    write("import_aws", "record-sets+health-checks", read(f"{aws}/record-sets.json") + SEP + read(f"{aws}/health-checks.json"))
    write("import_aws", "record-sets-zone", read(f"{aws}/record-sets.json") + SEP + read(f"{aws}/health-checks.json") + b"\n")
    write("import_aws", "basic-failover", read(f"{rt}/basic-failover-record-sets.json") + SEP + read(f"{rt}/basic-failover-health-check.json"))
    write("import_aws", "fail-open", read(f"{rt}/fail-open-record-sets.json") + SEP + read(f"{rt}/fail-open-health-checks.json"))
    for path in glob.glob(f"{aws}/bad/*.json"):
        write("import_aws", "bad-" + os.path.basename(path), read(path) + SEP + read(f"{aws}/health-checks.json"))
    for kind in ["terraform", "cloudformation"]:
        for path in glob.glob(f"tests/data/import/{kind}/*.json") + glob.glob(f"{rt}/*-{kind}.json"):
            write(f"import_{kind}", os.path.basename(path), read(path))
        for path in glob.glob(f"tests/data/import/{kind}/bad/*"):
            write(f"import_{kind}", "bad-" + os.path.basename(path), read(path))

    shutil.rmtree(tmp)
    for target in sorted(os.listdir(SEEDS)):
        files = os.listdir(f"{SEEDS}/{target}")
        size = sum(os.path.getsize(f"{SEEDS}/{target}/{f}") for f in files)
        print(f"{target}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
