# One row of the table `make bench` ends with (scripts/bench/run-all.sh collects them):
#   goal WHAT GOAL MEASURED 1|0|?     (1: at its goal; ?: the runs' noise is larger than the gap,
#                                      neither is shown; a GOAL of "-" is a figure kept to watch)
goal() {
	local st="NOT at goal"
	[ "$4" = 1 ] && st="at goal"
	[ "$4" = "?" ] && st="not resolvable (noise)"
	[ "$2" = - ] && st=
	printf 'goal|%s|%s|%s|%s\n' "$1" "$2" "$3" "$st"
}
