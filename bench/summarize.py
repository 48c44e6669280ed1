#!/usr/bin/env python3
"""summarize.py - turn bench/run's raw JSON lines into the results files.

    summarize.py RAW.jsonl OUT-PREFIX

writes OUT-PREFIX.json (medians of the repetitions, every sample, the
command of every figure, ratios against vireo measured in the same run)
and OUT-PREFIX.md (the same as tables).  Standard library only.
"""
import json
import statistics
import sys

# Numeric fields summarised per record kind, in table order, with units.
FIELDS = {
    "encoder": [("mpix_per_cpu_s", "MP/s (1 core)"), ("fps_per_core", "fps/core"),
                ("bytes_per_frame", "bytes/frame"), ("compression", "raw size / bytes")],
    "serve": [("latency_ms_p50", "latency p50 ms"), ("latency_ms_p90", "latency p90 ms"),
              ("fps", "frames/s delivered"), ("bytes_per_s", "bytes/s"),
              ("server_cpu_ms_per_frame", "server CPU ms/frame"),
              ("bytes_per_frame", "bytes/frame"),
              ("psnr_db_p50", "PSNR dB p50 (99 = exact)"),
              ("exact_share", "exact frames share"),
              ("server_rss_kb", "server RSS KiB")],
    "scaling": [("server_cpu_per_s", "server CPU s/s"), ("server_rss_kb", "server RSS KiB"),
                ("cpu_per_added_client", "CPU s/s per added client"),
                ("codec_cpu_per_s", "codec libraries CPU s/s"),
                ("tls_cpu_per_s", "TLS CPU s/s"),
                ("rss_kb_per_added_client", "RSS KiB per added client"),
                ("fps_per_client", "frames/s per client"),
                ("bytes_per_s_per_client", "bytes/s per client")],
    "vmm": [("first_frame_s", "start to first frame s"),
            ("ready_s", "start to 'testcard ready' s"),
            ("rss_beyond_guest_kb", "RSS beyond guest RAM KiB"),
            ("rss_kb", "RSS KiB"),
            ("fps", "testcard frames/s"),
            ("cpu_cores", "process CPU cores"),
            ("cpu_ms_per_frame", "CPU ms/frame"),
            ("updates_per_s", "damaged refreshes/s"),
            ("load1", "load average")],
}
# Text columns shown after the keys where a row has them: the accelerator
# a VM ran on (vireo's from its VMM's log line, QEMU's from its -accel).
LABELS = {"serve": ("accel",), "scaling": ("accel",), "vmm": ("accel",)}
# The software CPU's target: the testcard's 30 frames per second on one
# head in under half a core.
TARGET_FPS = 30
TARGET_CORES = 0.5
# What identifies one row of each table.
KEYS = {
    "encoder": ("codec", "content"),
    "serve": ("scenario", "server"),
    "scaling": ("server", "clients"),
    "vmm": ("vmm",),
}
# Fields where a bigger value is better (ratio text says so).
# Fields that describe the conditions, not a result: no ratio.
NO_RATIO = {"load1", "updates_per_s"}
BETTER_HIGH = {"mpix_per_cpu_s", "fps_per_core", "fps", "compression", "fps_per_client",
               "psnr_db_p50", "exact_share"}


def load(path):
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                print(f"summarize: {path}:{n}: skipped bad line: {e}", file=sys.stderr)
    return recs


def group(recs, kind):
    rows = {}
    for r in recs:
        if r.get("bench") != kind or "not_measured" in r:
            continue
        key = tuple(r.get(k) for k in KEYS[kind])
        rows.setdefault(key, []).append(r)
    out = []
    for key, samples in rows.items():
        row = dict(zip(KEYS[kind], key))
        row["reps"] = len(samples)
        row["cmd"] = samples[0].get("cmd", "")
        for field, _ in FIELDS[kind]:
            vals = [s[field] for s in samples if isinstance(s.get(field), (int, float))]
            if vals:
                row[field] = round(statistics.median(vals), 3)
                row[field + "_samples"] = vals
        for extra in ("note", "content", "codec_used", "size"):
            if extra in samples[0] and extra not in row:
                row[extra] = samples[0][extra]
        for label in LABELS.get(kind, ()):
            seen = sorted({str(x[label]) for x in samples if label in x})
            if seen:
                row[label] = ",".join(seen)
        out.append(row)
    return out


def add_ratios(rows, kind, base_key, base_values, match_keys):
    """ratio_<field> = row / the base row with the same match_keys; the
    base is the first of base_values present (vireo with its VM, else
    vireo's RDP module alone)."""
    if not isinstance(base_values, (list, tuple)):
        base_values = (base_values,)
    base = {}
    for value in reversed(base_values):
        for r in rows:
            if r.get(base_key) == value:
                base[tuple(r[k] for k in match_keys)] = r
    for r in rows:
        b = base.get(tuple(r[k] for k in match_keys))
        if not b or r is b:
            continue
        for field, _ in FIELDS[kind]:
            if field in NO_RATIO:
                continue
            if isinstance(r.get(field), (int, float)) and b.get(field):
                r["ratio_" + field] = round(r[field] / b[field], 3)


def per_added_client(rows):
    """(value at N clients - value at 1 client) / (N - 1), per server."""
    one = {r["server"]: r for r in rows if r.get("clients") == 1}
    for r in rows:
        b = one.get(r["server"])
        n = r.get("clients") or 0
        if not b or n <= 1:
            continue
        for field, out in (("server_cpu_per_s", "cpu_per_added_client"),
                           ("server_rss_kb", "rss_kb_per_added_client")):
            if isinstance(r.get(field), (int, float)) and isinstance(b.get(field), (int, float)):
                r[out] = round((r[field] - b[field]) / (n - 1), 4)


def software_target(rows):
    """Whether vireo's software CPU met its target, from its vmm row: the
    testcard at its full frame rate using under half a core.  Where the
    guest drew fewer frames (a slow or busy machine), the cores 30 frames
    would take are estimated from the CPU per frame."""
    r = next((x for x in rows if x.get("vmm") == "vireo-software"), None)
    if not r or not isinstance(r.get("fps"), (int, float)) or \
            not isinstance(r.get("cpu_cores"), (int, float)):
        return None
    fps, cores = r["fps"], r["cpu_cores"]
    full = fps >= TARGET_FPS * 0.95
    need = round(r.get("cpu_ms_per_frame", 0) * TARGET_FPS / 1000, 3)
    met = full and cores < TARGET_CORES
    if full:
        how = f"the testcard drew {fmt(fps)} frames/s using {fmt(cores)} cores"
    else:
        how = (f"the testcard drew only {fmt(fps)} frames/s (using {fmt(cores)} cores, "
               f"{fmt(r.get('cpu_ms_per_frame'))} ms of CPU per frame: about "
               f"{fmt(need)} cores for {TARGET_FPS} frames/s)")
    load = f" at load average {fmt(r['load1'])}" if "load1" in r else ""
    return {"met": met, "fps": fps, "cpu_cores": cores,
            "cores_for_target_fps": need,
            "text": (f"Software CPU target ({TARGET_FPS} frames/s on one head in under "
                     f"{TARGET_CORES} of a core): **{'met' if met else 'not met'}**; "
                     f"{how}{load}.")}


def fmt(v):
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def md_table(rows, kind, ratio_label=None):
    keys = list(KEYS[kind]) + [k for k in LABELS.get(kind, ())
                               if any(k in r for r in rows)]
    fields = [f for f in FIELDS[kind] if any(f[0] in r for r in rows)]
    head = keys + [label for _, label in fields]
    if ratio_label:
        head += [f"{label} vs {ratio_label}" for f, label in fields
                 if any("ratio_" + f in r for r in rows)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [fmt(r.get(k)) for k in keys] + [fmt(r.get(f)) for f, _ in fields]
        if ratio_label:
            cells += [(fmt(r["ratio_" + f]) + "x") if "ratio_" + f in r else ""
                      for f, _ in fields if any("ratio_" + f in x for x in rows)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def commands(rows):
    seen = []
    for r in rows:
        if r.get("cmd") and r["cmd"] not in seen:
            seen.append(r["cmd"])
    return ["", "Commands:", ""] + [f"    {c}" for c in seen]


def main():
    if len(sys.argv) != 3:
        print("usage: summarize.py RAW.jsonl OUT-PREFIX", file=sys.stderr)
        return 2
    recs = load(sys.argv[1])
    machine = next((r for r in recs if r.get("bench") == "machine"), {})
    result = {"machine": machine}
    for kind in FIELDS:
        result[kind] = group(recs, kind)
    add_ratios(result["serve"], "serve", "server", ("vireo", "vireo-module"), ("scenario",))
    add_ratios(result["scaling"], "scaling", "clients", 1, ("server",))
    per_added_client(result["scaling"])
    vmm_base = next((v for v in ("vireo-kvm", "vireo-software", "vireo")
                     if any(r.get("vmm") == v for r in result["vmm"])), "vireo")
    add_ratios(result["vmm"], "vmm", "vmm", vmm_base, ())
    target = software_target(result["vmm"])
    if target:
        result["software_cpu_target"] = target
    result["not_measured"] = [
        {"bench": r["bench"], "name": r.get("name"), "reason": r["not_measured"]}
        for r in recs if "not_measured" in r]
    # each scene pass of bench/run notes its servers again: keep a note once
    result["notes"] = []
    for r in recs:
        note = {"name": r.get("name"), "text": r.get("text")}
        if r.get("bench") == "note" and note not in result["notes"]:
            result["notes"].append(note)
    with open(sys.argv[2] + ".json", "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")

    md = [f"# vireo benchmarks, {machine.get('date', '?')} on {machine.get('host', '?')}", "",
          f"Machine: {machine.get('cpus', '?')} CPUs ({machine.get('cpu_model', '?')}), "
          f"kernel {machine.get('kernel', '?')}, FreeRDP {machine.get('freerdp', '?')}, "
          f"vireo {machine.get('git', '?')}, load average at start {machine.get('load_at_start', '?')}.",
          "Every figure is the median of the repetitions (`reps` and every sample are in the "
          "JSON file beside this one); ratios compare with vireo (its RDP module alone, "
          "`vireo-module`, where vireo-headless could not be measured) or with 1 client, "
          "measured in the same run.  The command behind every table is listed under it.", "",
          "Reproduce: `tools/install-deps --bench`, then `./configure && make && make bench` "
          "(see README.md, section Benchmarks).", ""]
    sections = [
        ("encoder", "Encoders, one core, 1920x1080 synthetic frames", None),
        ("serve", "End to end: the same animation served by vireo and its peers",
         "vireo" if any(r.get("server") == "vireo" for r in result["serve"]) else "vireo-module"),
        ("scaling", "Scaling: probe clients on one screen", "1 client"),
        ("vmm", "VMM start-up, memory and running cost", vmm_base),
    ]
    for kind, title, ratio in sections:
        md += [f"## {title}", ""]
        if result[kind]:
            md += md_table(result[kind], kind, ratio) + commands(result[kind])
            if kind == "vmm" and target:
                md += ["", target["text"]]
        else:
            md.append("No figures in this run (see \"Not measured\").")
        md.append("")
    if result["notes"]:
        md += ["## What differs between the servers", ""]
        md += [f"- {r['name']}: {r['text']}" for r in result["notes"]]
        md.append("")
    if result["not_measured"]:
        md += ["## Not measured", ""]
        md += [f"- {r['bench']}/{r['name']}: {r['reason']}" for r in result["not_measured"]]
        md.append("")
    with open(sys.argv[2] + ".md", "w") as f:
        f.write("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
