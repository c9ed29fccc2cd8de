#!/usr/bin/env bash
# Rebuilds the training corpus from Debian packages and a deterministic generator.
# Needs: apt-get install bible-kjv diatheke sword-text-sparv python3 (Python's standard library).
set -euo pipefail
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$OUT/english" "$OUT/spanish" "$OUT/code" "$OUT/numbers"
# English prose: King James Version (public domain), Genesis to Ruth, verse references removed.
bible -f "gen1:1-rut4:22" | sed -E 's/^[0-9A-Za-z]+[0-9]+:[0-9]+ //' > "$OUT/english/kjv-genesis-ruth.txt"
# Spanish: Reina-Valera 1909 (public domain), the four gospels, references and Strong's tags removed.
diatheke -b spaRV1909eb -f plain -k "Mat 1:1-Joh 21:25" \
  | sed -E 's/^[A-Za-z0-9 ]+ [0-9]+:[0-9]+: //; s/ ?<[GH][0-9]+>//g; /^\(spaRV1909eb\)$/d' > "$OUT/spanish/reina-valera-1909-gospels.txt"
# Program source: modules of Python's standard library (PSF License, permissive).
PYLIB="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
for m in textwrap.py shlex.py heapq.py bisect.py fractions.py statistics.py string.py calendar.py \
         json/__init__.py json/decoder.py json/encoder.py colorsys.py difflib.py; do
  cp "$PYLIB/$m" "$OUT/code/$(echo "$m" | tr '/' '_')"
done
# Tables of numbers: generated, deterministic (our own).
python3 - "$OUT/numbers/tables.csv" <<'PY'
import random, sys
rng = random.Random(2026)
with open(sys.argv[1], "w") as f:
    for table in range(60):
        f.write("year,station,temperature_c,rainfall_mm,wind_kmh\n")
        t0 = rng.uniform(5, 20)
        for i in range(60):
            f.write(f"{1950 + i},{chr(65 + table % 26)}{table:02d},{t0 + rng.gauss(0, 2):.1f},"
                    f"{max(0, rng.gauss(60, 25)):.1f},{abs(rng.gauss(15, 6)):.0f}\n")
        f.write("\n")
PY
wc -c "$OUT"/*/* | tail -1
