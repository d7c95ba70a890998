#!/usr/bin/env python3
"""Tables for FFM-RESULTS.md from a benchmarks/ffm-bench.sh output directory: medians over rounds, paired ratios
(the median over rounds of each round's ratio)."""
import glob, json, re, statistics, sys

out = sys.argv[1]
CFGS = ["17-jna", "25-jna", "25-ffm"]
BASE = "17-base"

def load(path):
    rows = {}
    try:
        data = json.load(open(path))
    except Exception:
        return rows
    for b in data:
        cls, method = b["benchmark"].split(".")[-2:]
        p = b.get("params", {})
        key = (cls, method, p.get("mode") or p.get("variant") or "")
        pm = b["primaryMetric"]
        if b["mode"] == "sample":
            rows[key] = pm["scorePercentiles"]["50.0"]
        else:
            rows[key] = pm["score"]
    return rows

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def f(x, digits=0):
    return "–" if x is None else ("%.*f" % (digits, x))

rounds = sorted({int(m.group(1)) for p in glob.glob(out + "/close-*-*.json") for m in [re.search(r"close-(\d+)-", p)] if m})
print("rounds:", rounds)

# per call
print("\n### Per call (ns/op, JMH AverageTime, 1 fork, 3 x 1 s)\n")
pc = {c: load("%s/percall-%s.json" % (out, c)) for c in CFGS}
print("| call | " + " | ".join("JDK " + c for c in CFGS) + " | JNA / FFM on 25 |")
print("|---|---|---|---|---|")
for call in ["getpid", "ioctlFionread", "setsockoptNodelay"]:
    v = [pc[c].get(("BindingCall", call, "")) for c in CFGS]
    ratio = v[1] / v[2] if v[1] and v[2] else None
    print("| %s | %s | %s | %s | %s |" % (call, f(v[0], 1), f(v[1], 1), f(v[2], 1), f(ratio, 2)))

# C
def c_close(r):
    res = {}
    try:
        for line in open("%s/c-close-%d.txt" % (out, r)):
            m = re.search(r"mode=(\S+).*close_ns_p50=(\d+)", line)
            if m:
                res[m.group(1)] = float(m.group(2))
    except FileNotFoundError:
        pass
    return res

def c_churn(r):
    try:
        for line in open("%s/c-churn-%d.txt" % (out, r)):
            m = re.search(r"conns_per_sec=([\d.]+)", line)
            if m:
                return float(m.group(1))
    except FileNotFoundError:
        pass
    return None

close = {(r, c): load("%s/close-%d-%s.json" % (out, r, c)) for r in rounds for c in CFGS + [BASE]}
churn = {(r, c): load("%s/churn-%d-%s.json" % (out, r, c)) for r in rounds for c in CFGS + [BASE]}

CLIENTS = [("TeardownClose", "teardown close(mode)"), ("TeardownFastClose", "teardown closeFast(mode)"),
           ("FloorClose", "floor (close's calls)"), ("FloorFastClose", "floor without FIONREAD")]
MODES = [("client-first", "RELEASE"), ("shutdown", "SHUTDOWN"), ("abort", "ABORT")]
print("\n### Close path p50 (ns), median over rounds\n")
print("| mode | client | " + " | ".join("JDK " + c for c in CFGS) + " | C |")
print("|---|---|---|---|---|---|")
for m, label in MODES:
    cm = med([c_close(r).get(m) for r in rounds])
    for cls, name in CLIENTS:
        v = [med([close[(r, c)].get((cls, "close", m)) for r in rounds]) for c in CFGS]
        print("| %s | %s | %s | %s | %s | %s |" % (label, name, f(v[0]), f(v[1]), f(v[2]), f(cm) if cls == "TeardownClose" else ""))

print("\n### Close path paired ratios (median over rounds of each round's ratio)\n")
print("| mode | ratio | " + " | ".join("JDK " + c for c in CFGS) + " |")
print("|---|---|---|---|---|")
def paired(num, den, cfg, m):
    rs = []
    for r in rounds:
        a = close[(r, cfg)].get((num, "close", m))
        b = close[(r, cfg)].get((den, "close", m)) if den != "C" else c_close(r).get(m)
        if a and b:
            rs.append(a / b)
    return med(rs)
for m, label in MODES:
    for num, den, what in [("TeardownClose", "FloorClose", "close(mode) / its floor (target FFM <= 1.10)"),
                           ("TeardownFastClose", "FloorFastClose", "closeFast / floor without FIONREAD (target FFM <= 1.05)"),
                           ("TeardownClose", "C", "close(mode) / C"),
                           ("TeardownFastClose", "C", "closeFast / C"),
                           ("FloorClose", "C", "floor / C")]:
        print("| %s | %s | %s |" % (label, what, " | ".join(f(paired(num, den, c, m), 2) for c in CFGS)))

print("\n### ABORT churn (connections/s, exchange=false), median over rounds\n")
CH = [("TeardownChurn", "teardown close(ABORT)"), ("TeardownFastChurn", "teardown closeFast(ABORT)"),
      ("FloorChurn", "floor"), ("ChannelChurn", "JDK SocketChannel")]
print("| client | " + " | ".join("JDK " + c for c in CFGS) + " | C |")
print("|---|---|---|---|---|")
cc = med([c_churn(r) for r in rounds])
for cls, name in CH:
    v = [med([churn[(r, c)].get((cls, "cycle", "abort")) for r in rounds]) for c in CFGS]
    print("| %s | %s | %s | %s | %s |" % (name, f(v[0]), f(v[1]), f(v[2]), f(cc) if cls == "TeardownChurn" else ""))
print()
def cpaired(num, den, cfg):
    rs = []
    for r in rounds:
        a = churn[(r, cfg)].get((num, "cycle", "abort"))
        b = churn[(r, cfg)].get((den, "cycle", "abort")) if den != "C" else c_churn(r)
        if a and b:
            rs.append(a / b)
    return med(rs)
print("| ratio | " + " | ".join("JDK " + c for c in CFGS) + " |")
print("|---|---|---|---|")
for num, den, what in [("TeardownChurn", "FloorChurn", "teardown / floor (target FFM >= 0.95)"),
                       ("TeardownChurn", "ChannelChurn", "teardown / SocketChannel (target FFM >= 1.2)"),
                       ("TeardownFastChurn", "FloorChurn", "closeFast / floor"),
                       ("TeardownChurn", "C", "teardown / C"),
                       ("FloorChurn", "C", "floor / C")]:
    print("| %s | %s |" % (what, " | ".join(f(cpaired(num, den, c), 2) for c in CFGS)))

print("\n### JDK 17: this branch against main (777feac), paired by round\n")
print("| measure | main p50 / conn/s | this branch | branch / main |")
print("|---|---|---|---|")
for m, label in MODES:
    a = med([close[(r, BASE)].get(("TeardownClose", "close", m)) for r in rounds])
    b = med([close[(r, "17-jna")].get(("TeardownClose", "close", m)) for r in rounds])
    rs = [close[(r, "17-jna")].get(("TeardownClose", "close", m)) / close[(r, BASE)].get(("TeardownClose", "close", m))
          for r in rounds if close[(r, BASE)].get(("TeardownClose", "close", m)) and close[(r, "17-jna")].get(("TeardownClose", "close", m))]
    print("| close %s p50 (ns) | %s | %s | %s |" % (label, f(a), f(b), f(med(rs), 2)))
a = med([churn[(r, BASE)].get(("TeardownChurn", "cycle", "abort")) for r in rounds])
b = med([churn[(r, "17-jna")].get(("TeardownChurn", "cycle", "abort")) for r in rounds])
rs = [churn[(r, "17-jna")].get(("TeardownChurn", "cycle", "abort")) / churn[(r, BASE)].get(("TeardownChurn", "cycle", "abort"))
      for r in rounds if churn[(r, BASE)].get(("TeardownChurn", "cycle", "abort")) and churn[(r, "17-jna")].get(("TeardownChurn", "cycle", "abort"))]
print("| ABORT churn (conn/s) | %s | %s | %s |" % (f(a), f(b), f(med(rs), 2)))
