"""Parses an exposition from stdin with the Prometheus client library's own parsers (argv[1]: "text" or
"openmetrics") and prints every sample as one line: its name, its value, then name=HEX for each label (the value's
UTF-8 bytes in hex, so that any character survives). Fails on a sample repeated with the same labels, which a parser
may accept but Prometheus rejects."""
import sys

text = sys.stdin.buffer.read().decode("utf-8")
if sys.argv[1] == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
seen = set()
for family in text_string_to_metric_families(text):
    for s in family.samples:
        key = (s.name, tuple(sorted(s.labels.items())))
        if key in seen:
            sys.exit("duplicate series: %r" % (key,))
        seen.add(key)
        print(s.name, repr(float(s.value)), *[k + "=" + v.encode("utf-8").hex() for k, v in s.labels.items()])
