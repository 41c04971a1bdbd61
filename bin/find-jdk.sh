# Sourced by ./strata and ./build: sets STRATA_JAVA_HOME to a JDK >= 21 or fails with a clear message.
# Order: JAVA_HOME, the `java` on PATH, then every JDK under /usr/lib/jvm (newest first).

strata_java_feature() { # prints the feature version (e.g. 25) of the Java home $1, or nothing
  local home=$1 v=""
  # The release file answers without starting a JVM (each start costs ~100 ms).
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release" | head -n 1)
  fi
  if [ -z "$v" ] && [ -x "$home/bin/java" ]; then
    v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
  fi
  case "$v" in
    1.*) v=${v#1.}; echo "${v%%.*}" ;;
    *) echo "${v%%.*}" ;;
  esac
}

strata_find_jdk() { # $1: minimum feature version; $2: "jdk" to require javac
  local min=$1 need=$2 cand home feature tried=""
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for cand in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidates+=("${cand%/}")
  done
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] || continue
    if [ "$need" = jdk ] && [ ! -x "$home/bin/javac" ]; then continue; fi
    feature=$(strata_java_feature "$home")
    tried="$tried\n  $home (java ${feature:-?})"
    if [ -n "$feature" ] && [ "$feature" -ge "$min" ] 2>/dev/null; then
      STRATA_JAVA_HOME=$home
      STRATA_JAVA_FEATURE=$feature
      return 0
    fi
  done
  {
    echo "strata: no JDK $min or newer found."
    [ -n "$tried" ] && printf "Looked at:%b\n" "$tried"
    echo "Install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin 25) or set JAVA_HOME to it."
  } >&2
  return 1
}
