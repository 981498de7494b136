# Helpers shared by the scripts in scripts/infra; sourced, not run.
log() { echo "${0##*/}: $*" >&2; }
die() { log "error: $*"; exit 1; }
# Not just kill -0: a SIGKILLed process can linger as a zombie until PID 1 reaps it.
alive() { local st; { read -r _ _ st _ <"/proc/$1/stat"; } 2>/dev/null && [[ $st != [ZX] ]]; }
