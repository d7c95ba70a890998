"""Parses the doctor's JSON strictly (UTF-8, RFC 8259) from stdin and prints what the Java test compares, one
fact per line: a second, independent JSON parser."""
import json
import sys

d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
print("sockets", d["sockets"])
for k, v in d["states"].items():
    print("state", k, v)
for g in d["close_wait"]:
    print("close_wait", g["pid"], g["state"], g["count"], g["unread_bytes"], g["min_fin_age_ms"], g["command"])
print("orphans", d["orphan_fin_wait_2"]["count"])
for x in d["destinations"]:
    print("destination", x["destination"], x["time_wait"], x["other"])
for x in d["listeners"]:
    print("listener", x["local"], x["queue"], x["backlog"], x["full"], x["pid"])
print("listen_overflows", d["listen_overflows"])
for f in d["findings"]:
    print("finding", f["severity"], f["kind"], f["pid"])
for l in d["limits"]:
    print("limit", l)
