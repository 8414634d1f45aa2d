#!/usr/bin/env python3
"""Checks on the HTML report as Chromium saw it (tests/e2e/html.sh, tests/e2e/diff.sh).

  html_check.py netlog NETLOG.json        requests the page made (not Chromium's own): none
  html_check.py png FILE.png WIDTH        a PNG of that width, not blank (many distinct bytes)
  html_check.py bars DOM SESSION.json STEP TARGET KEY [KEY...]
                                          each bar's data-value == the JSON's figure, exactly
  html_check.py flame DOM                 the flame graph drew frames and lists its owners
  html_check.py rounded DOM SESSION.json  the comparison table's numbers read as the text's
                                          columns round them (comparison_decimals), the JSON's
                                          value on hover; every rounded cell of the page is its
                                          title's value rounded
Exit 0 on success, 1 with a message otherwise.
"""
import json
import struct
import sys
from html.parser import HTMLParser


def die(msg):
    print("html_check: " + msg, file=sys.stderr)
    sys.exit(1)


def netlog(path):
    d = json.load(open(path))
    types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
    page = []
    for e in d["events"]:
        p = e.get("params") or {}
        if types.get(e["type"]) != "URL_REQUEST_START_JOB" or "url" not in p:
            continue
        # Chromium's own background fetches have no origin; the page's (file://) have "null"
        if p.get("initiator") != "not an origin" and not p["url"].startswith("file:"):
            page.append(p["url"])
    if page:
        die("the page made %d request(s): %s" % (len(page), ", ".join(page[:5])))
    print("netlog: no request from the page")


def png(path, width):
    b = open(path, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        die("%s: not a PNG" % path)
    w, h = struct.unpack(">II", b[16:24])
    if w != int(width):
        die("%s: width %d, want %s" % (path, w, width))
    # a blank page compresses to almost nothing; charts and tables do not
    if len(b) < 40000 or len(set(b[1000:200000])) < 200:
        die("%s: %d bytes, looks blank" % (path, len(b)))
    print("png: %dx%d, %d bytes" % (w, h, len(b)))


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rects, self.frames, self.options = [], [], []
        self.root = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.root = a
        if tag == "rect" and "data-key" in a:
            self.rects.append(a)
        if tag == "div" and "fr" in (a.get("class") or "").split():
            self.frames.append(a)
        if tag == "option":
            self.options.append(a)


def parse_dom(path):
    c = Collect()
    c.feed(open(path, encoding="utf-8").read())
    if c.root.get("data-vp-ready") != "1":
        die("the page's script did not finish (data-vp-ready unset)")
    if c.root.get("data-vp-errors") != "0":
        die("the page recorded %s error(s)" % c.root.get("data-vp-errors"))
    return c


def bars(dom, session, step, target, keys):
    c = parse_dom(dom)
    s = json.load(open(session))
    row = next((r for r in s["comparison"] if r["step"] == step and r["target"] == target), None)
    st = next((x for x in s["steps"] if x["label"] == step and x["target"] == target), None)
    if row is None or st is None:
        die("no step %s / %s in %s" % (step, target, session))
    over = next((r for r in st["cpu"]["overhead"] if r["target"] == target), {})
    for k in keys:
        want = row[k] if k in row else over.get(k)
        got = [r["data-value"] for r in c.rects
               if r.get("data-step") == step and r.get("data-target") == target and r["data-key"] == k]
        if want is None:
            die("%s: null in the JSON, pick another" % k)
        if len(got) < 1:
            die("no bar for %s %s %s" % (step, target, k))
        if float(got[0]) != float(want):
            die("bar %s %s %s: page %s, JSON %r" % (step, target, k, got[0], want))
        print("bar %s %s %s = %s (JSON %r)" % (step, target, k, got[0], want))


class Tables(HTMLParser):
    """Every <table> with the <h4> title before it: header texts and, per row, (text, title)."""

    def __init__(self):
        super().__init__()
        self.tables, self.title, self.text, self.cell = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h4":
            self.text = ""
        elif tag == "table":
            self.tables.append({"title": self.title, "head": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell = [tag, "", a.get("title")]

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data
        elif self.text is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "h4" and self.text is not None:
            self.title, self.text = self.text, None
        elif tag in ("td", "th") and self.cell is not None and self.tables:
            t = self.tables[-1]
            if self.cell[0] == "th":
                t["head"].append(self.cell[1])
            else:
                t["rows"][-1].append((self.cell[1], self.cell[2]))
            self.cell = None
        elif tag == "table" and self.tables:
            self.title = None


def decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


def rounded(dom, session):
    parse_dom(dom)
    p = Tables()
    p.feed(open(dom, encoding="utf-8").read())
    s = json.load(open(session))
    dec = s.get("comparison_decimals") or die("no comparison_decimals in %s" % session)
    t = next((t for t in p.tables if t["title"] == "comparison"), None) or die("no comparison table")
    rows = [r for r in t["rows"] if r]
    if len(rows) != len(s["comparison"]):
        die("comparison: %d rows on the page, %d in the JSON" % (len(rows), len(s["comparison"])))
    checked = cut = 0
    for row, want in zip(rows, s["comparison"]):
        for (text, title), key in zip(row, t["head"]):
            v = want.get(key)
            if key not in dec or not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            exp = "%.*f" % (dec[key], v)
            if text != exp:
                die("comparison %s %s: page %r, want %r (%r to %d decimals)" %
                    (want["step"], key, text, exp, v, dec[key]))
            if title is None or float(title) != float("%.10g" % v):
                die("comparison %s %s: title %r, want the JSON's %r" % (want["step"], key, title, v))
            checked += 1
            cut += exp != repr(float(v)) and decimals(repr(float(v))) > dec[key]
    if not checked or not cut:
        die("comparison: %d numbers checked, %d of them rounded: nothing shows the rounding" %
            (checked, cut))
    # every rounded cell of the page (a title holds the exact value): its value rounded to the
    # decimals it shows, never more decimals than a column has (4)
    n = 0
    for t in p.tables:
        for row in t["rows"]:
            for text, title in row:
                if title is None or not text.strip().lstrip("-").replace(".", "").isdigit():
                    continue
                v, d = float(title), decimals(text)
                if d > 4 or abs(float(text) - v) > 0.5 * 10 ** -d + 1e-9 * abs(v):
                    die("table %r: %r shown for %r" % (t["title"], text, title))
                n += 1
    print("rounded: %d comparison numbers as the text's columns (%d cut), %d rounded cells" %
          (checked, cut, n))


def flame(dom):
    c = parse_dom(dom)
    if len(c.frames) < 3:
        die("flame graph: %d frames drawn" % len(c.frames))
    if not c.options:
        die("flame graph: no owner to choose")
    print("flame: %d frames, %d owners" % (len(c.frames), len(c.options)))


def main():
    if len(sys.argv) < 3:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "netlog":
        netlog(args[0])
    elif cmd == "png":
        png(args[0], args[1])
    elif cmd == "bars":
        bars(args[0], args[1], args[2], args[3], args[4:])
    elif cmd == "flame":
        flame(args[0])
    elif cmd == "rounded":
        rounded(args[0], args[1])
    else:
        die(__doc__)


main()
