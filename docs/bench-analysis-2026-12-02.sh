#!/bin/bash
# Interleaved: old (e945d20, /tmp/bench15) and new (/tmp/bench15b) on switch-top1; then new on the other models.
for r in 1 2 3; do
  for v in old new; do
    d=/tmp/bench15; [ $v = new ] && d=/tmp/bench15b
    cd $d; /usr/bin/time -f "rss %M KB" ./workbench analyze --model sample-models/switch-top1 --corpus sample-models/corpus --tokens 1000000 --out /tmp/an-bench-$v 2>&1 | grep -E 'tokens of|rss' | tr '\n' ' ' | sed "s/^/round $r $v switch-top1: /"; echo
  done
  for m in top2 sparse-ff sparse-ffqkv; do
    cd /tmp/bench15b; /usr/bin/time -f "rss %M KB" ./workbench analyze --model sample-models/$m --corpus sample-models/corpus --tokens 1000000 --out /tmp/an-bench-$m 2>&1 | grep -E 'tokens of|rss' | tr '\n' ' ' | sed "s/^/round $r new $m: /"; echo
  done
done
