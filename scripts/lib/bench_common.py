"""Shared plumbing for scripts/bench: machine facts, running timed commands,
and writing a suite's results as bench/results/<suite>.{json,md,png}.

Every suite returns a Result; write_result() gives all suites the same format:

  {"suite": "...", "title": "...", "machine": {...}, "dataset": {...},
   "commands": ["exact command line", ...], "runs": [{...raw JSON of one run...}],
   "summary": [{"name": ..., "metric": ..., "value": ..., "unit": ...}, ...],
   "skipped": ["why a side did not run", ...], "notes": ["...", ...]}

Python 3 stdlib only; single-threaded.
"""
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import tempfile


class BenchError(Exception):
    """A benchmark command failed or printed no result; the suite stops."""


def stop_process(proc, timeout):
    """SIGTERM, then SIGKILL if proc has not exited within timeout seconds; None is a no-op."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def machine_info(root):
    info = {
        "nproc": os.cpu_count(),
        "cpu_model": "unknown",
        "mem_total_kib": None,
        "kernel": platform.release(),
        "os": "",
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": "",
        "python": platform.python_version(),
    }
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True,
                                           check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["mem_total_kib"] = int(line.split()[1])
                    break
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True).stdout.strip()
        info["git_commit"] = commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


class Result:
    """What one suite measured. `commands` holds every exact command line run."""

    def __init__(self, suite, title, dataset):
        self.suite = suite
        self.title = title
        self.dataset = dataset
        self.commands = []
        self.runs = []
        self.summary = []
        self.skipped = []
        self.notes = []
        self.chart = None  # (ylabel, [(label, value), ...])
        self.plot = None  # or fn(png_path, machine_line) -> bool: a suite's own chart
        self.extra_md = []  # markdown lines written after the summary table

    def add(self, name, metric, value, unit=""):
        self.summary.append({"name": name, "metric": metric, "value": value, "unit": unit})


def run_json(result, argv, cwd=None, timeout=3600, label=None):
    """Runs argv, records its command line, returns the last JSON object on stdout."""
    cmd = shlex.join(argv)
    if cwd:
        cmd = "cd %s && %s" % (shlex.quote(cwd), cmd)
    if cmd not in result.commands:
        result.commands.append(cmd)
    print("  $ " + cmd, flush=True)
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError("%s: timed out after %ds" % (cmd, timeout))
    if p.returncode != 0:
        raise BenchError("%s: exit %d\n%s" % (cmd, p.returncode, p.stderr.strip()[-2000:]))
    for line in reversed(p.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if label:
                obj["side"] = label
            result.runs.append(obj)
            return obj
    raise BenchError("%s: printed no JSON result line" % cmd)


def median(values):
    return statistics.median(values) if values else None


def make_tempdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def dir_bytes(path):
    total = 0
    for base, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(base, name))
            except OSError:
                pass
    return total


def fmt(v):
    if isinstance(v, float):
        if abs(v) >= 100:
            return "%.0f" % v
        if abs(v) >= 10:
            return "%.1f" % v
        return "%.3g" % v
    return "—" if v is None else str(v)


def write_markdown(path, res, machine):
    m = machine
    lines = ["# Benchmark: %s" % res.title, "",
             "Machine: %s CPUs, %s, %s MiB RAM, %s, kernel %s. Date %s, commit `%s`." % (
                 m["nproc"], m["cpu_model"], (m["mem_total_kib"] or 0) // 1024, m["os"],
                 m["kernel"], m["date_utc"], m["git_commit"] or "?"),
             "",
             "Dataset: `%s` (%s%s)." % (res.dataset.get("path"), res.dataset.get("kind"),
                                        ", %s bytes" % res.dataset["bytes"]
                                        if res.dataset.get("bytes") else ""),
             "", "| name | metric | value | unit |", "|---|---|---:|---|"]
    for row in res.summary:
        lines.append("| %s | %s | %s | %s |" % (row["name"], row["metric"], fmt(row["value"]),
                                                 row["unit"]))
    lines += res.extra_md
    if res.skipped:
        lines += ["", "Skipped:", ""] + ["- " + s for s in res.skipped]
    if res.notes:
        lines += ["", "Notes:", ""] + ["- " + s for s in res.notes]
    lines += ["", "Commands:", "", "```"] + res.commands + ["```", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def write_chart(path, res, machine_line=""):
    """A bar chart of res.chart with gnuplot; returns False when it cannot."""
    if not res.chart or not shutil.which("gnuplot"):
        return False
    ylabel, bars = res.chart
    bars = [(label, value) for label, value in bars if value is not None]
    if not bars:
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        for label, value in bars:
            dat.write('"%s" %f\n' % (label.replace('"', "'"), value))
        dat_path = dat.name
    script = "\n".join([
        "set terminal pngcairo size 800,480 noenhanced",
        "set output '%s'" % path,
        "set title '%s'" % ("%s — %s, %s" % (res.title, res.dataset.get("kind"),
                                              machine_line)).replace("'", ""),
        "set ylabel '%s'" % ylabel.replace("'", ""),
        "set style fill solid 0.6 border -1",
        "set boxwidth 0.6",
        "set yrange [0:%f]" % (max(v for _, v in bars) * 1.15),
        "set grid ytics",
        "unset key",
        "plot '%s' using 0:2:xtic(1) with boxes lc rgb '#3b6ea5', "
        "'' using 0:2:($2 >= 100 ? sprintf('%%.0f', $2) : sprintf('%%.3g', $2)) "
        "with labels offset 0,1" % dat_path,
    ])
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=60)
        return p.returncode == 0 and os.path.exists(path)
    finally:
        os.unlink(dat_path)


def write_result(out_dir, res, machine):
    """Writes <suite>.json, <suite>.md and, when res.chart or res.plot is set, <suite>.png."""
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, res.suite)
    line = "%s CPUs %s, %s" % (machine["nproc"], machine["cpu_model"], machine["date_utc"][:10])
    chart = res.plot(base + ".png", line) if res.plot else write_chart(base + ".png", res, line)
    doc = {"suite": res.suite, "title": res.title, "machine": machine, "dataset": res.dataset,
           "commands": res.commands, "runs": res.runs, "summary": res.summary,
           "skipped": res.skipped, "notes": res.notes,
           "chart": os.path.basename(base + ".png") if chart else None}
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    write_markdown(base + ".md", res, machine)
    return [base + ".json", base + ".md"] + ([base + ".png"] if chart else [])
