# One row of the table `make bench` ends with (scripts/bench/run-all.sh collects them):
#   goal WHAT GOAL MEASURED 1|0       (1: at its goal)
goal() { printf 'goal|%s|%s|%s|%s\n' "$1" "$2" "$3" "$([ "$4" = 1 ] && echo at goal || echo NOT at goal)"; }
