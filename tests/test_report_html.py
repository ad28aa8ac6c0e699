#!/usr/bin/python3
"""test_report_html.py MEMGRAMS OUT — report.html in a real browser.

Makes a small results folder in OUT (wiped first, kept after for a look): a
sweep of two backends over fortunes copied to a hostile path (quotes, <, >, &)
at three fractions, and a second at one fraction of fortunes under two
allocators; then `memgrams report OUT`. Opens OUT/report.html in headless
Chromium (scripts/report-screenshot opens it the same way) and checks what a
reader relies on: it loads without a console error or a request off the
machine, every chart is drawn, every table has its rows, the hostile path
reads as text, it fits a phone's width. Writes the whole page as
OUT/report.png. Prints TAP, one line per check (tests/meson.build: suite
report). Needs corpora/cache/fortunes.txt (corpora/fetch fortunes; make test
fetches it).
"""
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import traceback
from xml.etree import ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
screenshot = importlib.machinery.SourceFileLoader(
    "report_screenshot", os.path.join(ROOT, "scripts", "report-screenshot")).load_module()

BACKENDS = "naive_hash,trie"
# A folder and file name a results file may carry: each byte HTML gives a meaning to.
HOSTILE_FOLDER = "q'\"<b class=pwned>&amp;x"
HOSTILE_FILE = "for<tunes> & \"it's\".txt"
# The charts in the order chart_list.c lists them; the timelines follow, per backend.
CHART_ORDER = ["memory-vs-size", "bytes-breakdown", "parts", "pareto", "growth", "parts-growth", "allocators",
               "timelines"]
PATHS_MIN = 10  # a drawn gnuplot chart has axes, tics and lines: far more paths than this
PHONE_WIDTH = 390


class Tap:
    """One "ok N - ..." line per check, the plan at the end."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def check(self, passed, description, details=""):
        self.count += 1
        self.failed += not passed
        print(f"{'ok' if passed else 'not ok'} {self.count} - {description}", flush=True)
        for line in str(details).splitlines() if not passed else []:
            print(f"# {line}", flush=True)
        return passed

    def run(self, description, function):
        """A check whose function returns (passed, details) or raises."""
        try:
            passed, details = function()
        except Exception:  # the check failed; the next ones still run
            passed, details = False, traceback.format_exc()
        return self.check(passed, description, details)

    def end(self):
        print(f"1..{self.count}", flush=True)
        return 1 if self.failed else 0


def run_command(args):
    result = subprocess.run(args, capture_output=True, text=True, timeout=240)
    return result.returncode == 0, f"{' '.join(args)}: exit {result.returncode}\n{result.stderr[-3000:]}"


def make_results(memgrams, out):
    """The results folder: its sweeps and the report. Returns the hostile corpus path."""
    fortunes = os.path.join(ROOT, "corpora", "cache", "fortunes.txt")
    if not os.path.isfile(fortunes):
        raise FileNotFoundError(f"{fortunes} is missing: run corpora/fetch fortunes")
    shutil.rmtree(out, ignore_errors=True)
    hostile = os.path.join(out, "corpus", HOSTILE_FOLDER, HOSTILE_FILE)
    os.makedirs(os.path.dirname(hostile))
    shutil.copyfile(fortunes, hostile)
    sweeps = [
        ["--corpora", hostile, "--fractions", "1/32,1/16,1/8"],
        ["--corpora", fortunes, "--fractions", "1/16", "--allocators", "jemalloc,glibc"],
    ]
    for sweep in sweeps:
        passed, details = run_command([memgrams, "sweep", "--backends", BACKENDS, "--out", out] + sweep)
        if not passed:
            raise RuntimeError(details)
    passed, details = run_command([memgrams, "report", out])
    if not passed:
        raise RuntimeError(details)
    return hostile


def read_runs(out):
    with open(os.path.join(out, "results.jsonl"), encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def off_machine_requests(driver):
    """Every URL the page asked for (network events, resource timings) that is not file: or data:."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    urls += driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [url for url in urls if not url.startswith(("file:", "data:"))]


def chart_facts(driver):
    """Per figure: its chart's name (from its SVG link), title, paths and drawn size."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('figure')).map(figure => {
            const svg = figure.querySelector('svg'), link = figure.querySelector('a[href$=".svg"]');
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {name: link ? decodeURIComponent(link.getAttribute('href')).replace(/^charts\\//, '')
                                      .replace(/\\.svg$/, '') : '',
                    title: figure.querySelector('figcaption').textContent,
                    paths: svg ? svg.querySelectorAll('path').length : 0,
                    width: box.width, height: box.height};
        });""")


def file_elements(path):
    """Each element under the root of an SVG file, in order: its name and its attributes but an id
    (the page keeps a repeated id once), sorted, names without their namespace."""
    root = ElementTree.parse(path).getroot()
    return [[element.tag.rsplit("}", 1)[-1],
             sorted([name.rsplit("}", 1)[-1], value] for name, value in element.attrib.items() if name != "id")]
            for element in root.iter() if element is not root]


def page_elements(driver, number):
    """The same of the page's copy of chart number, the chart's prefix taken out of references and
    tabs and line ends as spaces (as an XML parser reads an attribute)."""
    return driver.execute_script("""
        const prefix = new RegExp('#c' + arguments[0] + '-', 'g');
        return Array.from(document.querySelectorAll('#chart-' + arguments[0] + ' svg *')).map(e =>
            [e.localName, Array.from(e.attributes).filter(a => a.name !== 'id')
                .map(a => [a.localName, a.value.replace(prefix, '#').replace(/[\\t\\n\\r]/g, ' ')])
                .sort((x, y) => x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : 1)]);""", number)


def lost_in_copy(driver, out, names):
    """The charts whose inline copy lost or changed an element or an attribute of its file."""
    lost = []
    for number, name in enumerate(names, 1):
        expected = file_elements(os.path.join(out, "charts", name + ".svg"))
        found = page_elements(driver, number)
        if found != expected:
            first = next((i for i, (a, b) in enumerate(zip(found, expected)) if a != b), min(len(found), len(expected)))
            lost.append(f"{name}: {len(found)} elements, the file {len(expected)}; first difference at {first}: "
                        f"{str(found[first:first + 1])[:300]} against {str(expected[first:first + 1])[:300]}")
    return lost


def body_rows(driver, table_id):
    return driver.execute_script(
        "const t = document.getElementById(arguments[0]); return t ? t.tBodies[0].rows.length : -1", table_id)


def judged_part_rows(runs):
    """The rows of the parts table: every part of the first ok run naming parts of each subject and cell
    (harness/report/parts_files.c, mg_parts_judged); -1 (no table) when no run names a part."""
    seen, rows = set(), 0
    for run in runs:
        parts = (run.get("derived") or {}).get("bytes_per_ngram_by_part") or {}
        cell = (run["backend"], run.get("backend_settings"), run["corpus"], run["fraction"], run["order"])
        if run["status"] != "ok" or not any(name != "other" for name in parts) or cell in seen:
            continue
        seen.add(cell)
        rows += len(parts)
    return rows if seen else -1


def chart_order_key(name):
    return CHART_ORDER.index(name) if name in CHART_ORDER else len(CHART_ORDER)


def check_page(tap, driver, out, hostile):
    runs = read_runs(out)
    backends = {run["backend"] for run in runs}
    allocators = {run["allocator"] for run in runs}
    page = os.path.join(out, "report.html")

    tap.run("report.html loads in the browser", lambda: (
        driver.title == "memgrams report" and driver.execute_script("return document.readyState") == "complete",
        f"title {driver.title!r}"))
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    tap.check(not severe, "no console error", "\n".join(entry["message"] for entry in severe))
    tap.run("no request left the machine (file: and data: only)", lambda: (
        not (urls := off_machine_requests(driver)), "\n".join(urls)))
    tap.run("no script and no event handler in the page", lambda: (
        driver.execute_script("return document.scripts.length + Array.from(document.querySelectorAll('*'))"
                              ".filter(e => Array.from(e.attributes).some(a => /^on/i.test(a.name))).length") == 0,
        "the page holds a script or an on* attribute"))

    drawn = sorted(name[:-4] for name in os.listdir(os.path.join(out, "charts")) if name.endswith(".svg"))
    charts = chart_facts(driver)
    names = [chart["name"] for chart in charts]
    tap.check(sorted(names) == drawn and len(drawn) >= 6,
              f"the page holds every chart drawn ({len(drawn)})", f"page {names}\ncharts/ {drawn}")
    tap.check(names == sorted(names, key=chart_order_key), "the charts are in chart_list's order", f"{names}")
    for chart in charts:
        tap.check(chart["paths"] >= PATHS_MIN and chart["width"] > 100 and chart["height"] > 50,
                  f"chart {chart['name']} is drawn ({chart['paths']} paths, {chart['width']:.0f}x{chart['height']:.0f})",
                  f"{chart}")
    tap.run("every chart keeps every element and attribute of its SVG file", lambda: (
        not (lost := lost_in_copy(driver, out, names)), "\n".join(lost)))
    tap.run("every id is unique across the inlined charts", lambda: (
        (duplicates := driver.execute_script(
            "const seen = new Set(), twice = new Set();"
            "document.querySelectorAll('[id]').forEach(e => seen.has(e.id) ? twice.add(e.id) : seen.add(e.id));"
            "return Array.from(twice)")) == [], f"{duplicates[:20]}"))

    tap.run(f"the runs table has a row per run ({len(runs)})", lambda: (
        (rows := body_rows(driver, "runs-table")) == len(runs), f"{rows} rows"))
    tap.run(f"the growth table has a row per backend ({len(backends)})", lambda: (
        (rows := body_rows(driver, "growth-table")) == len(backends), f"{rows} rows"))
    part_rows = judged_part_rows(runs)
    tap.run(f"the parts table has a row per part of each subject and cell ({part_rows}; -1: no table)", lambda: (
        (rows := body_rows(driver, "parts-table")) == part_rows, f"{rows} rows"))
    tap.run(f"the backend x allocator table has {len(backends)} rows of {len(allocators)} allocators", lambda: (
        (shape := driver.execute_script(
            "const t = document.getElementById('allocators-table');"
            "return t ? [t.tBodies[0].rows.length, t.tHead.rows[0].cells.length - 1] : null"))
        == [len(backends), len(allocators)], f"{shape}"))
    version = runs[0]["env"]["version"]
    tap.run(f"the environment names the memgrams version ({version})", lambda: (
        version in driver.find_element("id", "environment-table").text, "not in the environment table"))
    tap.run("the links to summary.csv, summary.md and results.jsonl resolve beside the page", lambda: (
        all(os.path.isfile(os.path.join(out, name)) and
            driver.execute_script("return !!document.querySelector(`a[href='${arguments[0]}']`)", name)
            for name in ("summary.csv", "summary.md", "results.jsonl")), "a link or its file is missing"))

    tap.run("the hostile corpus path reads as text in the runs table", lambda: (
        driver.execute_script(
            "return Array.from(document.querySelectorAll('#runs-table td')).some(td => td.textContent === arguments[0])",
            hostile), f"no cell reads {hostile!r}"))
    with open(page, encoding="utf-8") as file:
        source = file.read()
    tap.check(driver.execute_script("return document.querySelectorAll('.pwned, b').length") == 0 and
              "<b class=pwned>" not in source and "&lt;b class=pwned&gt;" in source,
              "the hostile path is escaped, never markup")

    screenshot.set_viewport(driver, PHONE_WIDTH, 800)
    tap.run(f"the page fits a phone's width ({PHONE_WIDTH} px): wide tables scroll in their boxes", lambda: (
        (width := driver.execute_script("return document.documentElement.scrollWidth")) <= PHONE_WIDTH,
        f"the page is {width} px wide"))


def check_screenshot(driver, png):
    screenshot.set_viewport(driver, 1280, 900)
    screenshot.screenshot_whole_page(driver, png, 1280)
    with open(png, "rb") as file:
        header = file.read(24)
    height = int.from_bytes(header[20:24], "big")
    page_height = driver.execute_script("return document.body.scrollHeight")
    return (header[:8] == b"\x89PNG\r\n\x1a\n" and height >= page_height,
            f"{png}: {height} px high, the page {page_height}")


def main():
    if len(sys.argv) != 3:
        print("usage: test_report_html.py MEMGRAMS OUT", file=sys.stderr)
        return 2
    memgrams, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    try:
        hostile = make_results(memgrams, out)
    except Exception:
        tap.check(False, "a sweep and a report make the results folder", traceback.format_exc())
        return tap.end()
    tap.check(True, "a sweep and a report make the results folder")
    driver = screenshot.open_browser()
    try:
        driver.get(screenshot.page_url(os.path.join(out, "report.html")))
        check_page(tap, driver, out, hostile)
        tap.run("a screenshot of the whole page is written beside it (report.png)",
                lambda: check_screenshot(driver, os.path.join(out, "report.png")))
    finally:
        driver.quit()
    return tap.end()


if __name__ == "__main__":
    sys.exit(main())
