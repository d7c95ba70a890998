#!/usr/bin/env bash
# Run by the build (mvn package, after the jar is shaded): records what the doctor loads at start into archives that
# the next start maps instead of loading, parsing and verifying those classes again (`./teardown doctor` uses them):
#   target/teardown-cli.jsa  an application class-data-sharing archive for the JDK running the build (17+)
#   target/teardown-cli.aot  an ahead-of-time cache (JEP 483/514: classes loaded and linked, method profiles) for a
#                            JDK 25+ given as $2 (the build's -Dteardown.jdk22.home), with the JNA binding
#                            (-Ddev.teardown.binding=jna): the FFM binding links all its downcalls at its first use,
#                            which cost more at start here than loading JNA (benchmarks/DOCTOR-PERFORMANCE.md)
# Each archive is valid only for that JDK and this very jar file (path and time); its JDK's home is written beside it
# (*.jdk). A training run reads this machine's socket table once (doctor --json to /dev/null). Never fails the build:
# an archive that cannot be made is skipped with a note, and the doctor then starts without it.
# Usage: start-archive.sh <build java.home> <jdk22 home or empty> <jar>
set -u
build_jdk=$1
jdk22=${2:-}
jar=$3
dir=$(dirname "$jar")
rm -f "$dir"/teardown-cli.jsa "$dir"/teardown-cli.jsa.jdk "$dir"/teardown-cli.aot "$dir"/teardown-cli.aot.jdk
# the flags ./teardown doctor starts with (C1 only, the serial collector): the archives are made under the same
train() { "$@" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$jar" doctor --json >/dev/null 2>"$dir/start-archive.log"; }
if train "$build_jdk/bin/java" -Xshare:auto -XX:ArchiveClassesAtExit="$dir/teardown-cli.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \
        && [ -s "$dir/teardown-cli.jsa" ]; then
    printf '%s\n' "$build_jdk" > "$dir/teardown-cli.jsa.jdk"
else
    echo "teardown: no class-data archive for $build_jdk (see $dir/start-archive.log); the doctor starts without it" >&2
fi
case "$jdk22" in ""|*'${'*) exit 0 ;; esac
v=$("$jdk22/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1)
if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
    if train "$jdk22/bin/java" -Ddev.teardown.binding=jna -XX:AOTCacheOutput="$dir/teardown-cli.aot" -Xlog:aot=off \
            -Xlog:cds=off && [ -s "$dir/teardown-cli.aot" ]; then
        printf '%s\n' "$jdk22" > "$dir/teardown-cli.aot.jdk"
    else
        echo "teardown: no AOT cache for $jdk22 (see $dir/start-archive.log); the doctor starts without it" >&2
    fi
fi
exit 0
