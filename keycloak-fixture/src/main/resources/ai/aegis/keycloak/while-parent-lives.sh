#!/bin/sh
# Runs bin/kc.sh (beside this script) with the arguments given, for as long as the JVM that started it lives.
# That JVM holds the write end of this script's standard input and writes nothing: end-of-file there means it
# closed it (KeycloakServer.close) or died (a test JVM killed by a timeout or by hand). Either way the server is
# told to stop with SIGTERM, which kc.sh forwards to Keycloak's JVM; a dead test JVM leaves no Keycloak behind.
# The script ends when the server does, with its exit status.
here="$(dirname "$0")"
# an asynchronous command's standard input would be /dev/null: keep the pipe on descriptor 3 for the watcher
exec 3<&0
# through sh: an unpacked zip may have lost the execute bits
sh "$here/kc.sh" "$@" </dev/null 3<&- &
server=$!
{ cat <&3 >/dev/null 3<&-; kill -TERM "$server" 2>/dev/null; } &
exec 3<&- </dev/null
wait "$server"
