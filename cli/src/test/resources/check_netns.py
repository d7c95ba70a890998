"""Parses the doctor's --netns JSON strictly from stdin and prints one fact per line for the Java test: per namespace
its inode, name and state counts, and its CLOSE_WAIT groups."""
import json
import sys

d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
for ns in d["namespaces"]:
    n = ns["namespace"]
    print("ns", n["inode"], "sockets", ns["sockets"], "name", n["name"])
    for k, v in ns["states"].items():
        print("state", n["inode"], k, v)
    for g in ns["close_wait"]:
        print("close_wait", n["inode"], g["pid"], g["count"], g["orphaned_peers"], g["jvm"], g["next_step"],
              g["executable_name"], len(g["command"] or ""))
    print("pids", n["inode"], " ".join(str(p) for p in n["pids"]))
    print("container", n["inode"], n["runtime"], n["container_id"], n["pod_uid"])
print("skipped", len(d["skipped"]), d["vanished"])
