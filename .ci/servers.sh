#!/usr/bin/env bash
# Start or stop the SPARQL servers the integration tests run against.
#
#   bash .ci/servers.sh start DIR   # Virtuoso + Oxigraph server, every file under DIR;
#                                   # writes DIR/env (export lines) for `source`
#   bash .ci/servers.sh stop DIR    # stop what `start DIR` started (by pid)
#
# Ports (loopback only) can be moved with VIRTUOSO_SQL_PORT, VIRTUOSO_HTTP_PORT and
# OXIGRAPH_PORT, e.g. when another checkout runs its servers on the same machine.
# Needs: virtuoso-opensource-7-bin (apt) and the `oxigraph` command (pip install oxigraph).
set -euo pipefail

cmd=${1:?usage: servers.sh start|stop DIR}
dir=${2:?usage: servers.sh start|stop DIR}
sql_port=${VIRTUOSO_SQL_PORT:-1111}
http_port=${VIRTUOSO_HTTP_PORT:-8890}
ox_port=${OXIGRAPH_PORT:-7878}

wait_http() {  # URL SECONDS NAME LOG
    local url=$1 secs=$2 name=$3 log=$4 i
    for ((i = 0; i < secs * 4; i++)); do
        if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
            "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.25
    done
    echo "servers.sh: $name did not answer $url within ${secs}s; last log lines:" >&2
    tail -n 30 "$log" >&2 || true
    return 1
}

start_virtuoso() {
    local vdir=$dir/virtuoso
    mkdir -p "$vdir"
    # ResultSetMaxRows is the row cap at which Virtuoso answers 206 with a truncated
    # result; meshkg treats that as an error, and tests/kg/test_remote.py pins it.
    cat >"$vdir/virtuoso.ini" <<EOF
[Database]
DatabaseFile = $vdir/virtuoso.db
ErrorLogFile = $vdir/virtuoso.log
LockFile = $vdir/virtuoso.lck
TransactionFile = $vdir/virtuoso.trx
xa_persistent_file = $vdir/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = $vdir/virtuoso-temp.db
TransactionFile = $vdir/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:$sql_port
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = ., $vdir
MaxQueryMem = 200M
VADInstallDir = $vdir

[HTTPServer]
ServerPort = 127.0.0.1:$http_port
ServerRoot = $vdir
ServerThreads = 10
MaxClientConnections = 10
KeepAliveTimeout = 10
MaxKeepAlives = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 5000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 0
DefaultQuery = ASK {}
EOF
    (cd "$vdir" && exec virtuoso-t +foreground +configfile "$vdir/virtuoso.ini" \
        >"$vdir/stdout.log" 2>&1) &
    echo $! >"$dir/virtuoso.pid"
    wait_http "http://127.0.0.1:$http_port/sparql?query=ASK%7B%7D" 180 Virtuoso \
        "$vdir/virtuoso.log"
    # Anonymous SPARQL Update and Graph Store Protocol writes (loopback only): the
    # SPARQL account needs SPARQL_UPDATE, and "nobody" needs write rights on graphs.
    # For the authentication tests (tests/kg/test_remote.py), a test account and three
    # protected endpoints: /sparql-auth (Virtuoso's own, digest), /sparql-basic
    # (basic or digest, checked against SQL accounts) and /sparql-bearer (a fixed
    # bearer token, checked by a small procedure).
    cat >"$vdir/setup.sql" <<'SQL'
GRANT SPARQL_UPDATE TO "SPARQL";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);
DB.DBA.USER_CREATE ('meshkg', 'meshkg-test-password');
GRANT SPARQL_SELECT TO "meshkg";
GRANT SPARQL_UPDATE TO "meshkg";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('meshkg', 7);
DB.DBA.VHOST_DEFINE (lhost=>'*ini*', vhost=>'*ini*', lpath=>'/sparql-basic',
    ppath=>'/!sparql/', is_dav=>1, vsp_user=>'dba', auth_fn=>'DB.DBA.HP_AUTH_SQL_USER',
    realm=>'SPARQL', sec=>'basic', opts=>vector ('noinherit', 1));
create procedure DB.DBA.MESHKG_TEST_BEARER (in realm varchar)
{
  if (http_request_header (http_request_header (), 'Authorization', null, '')
      = 'Bearer meshkg-test-token')
    return 1;
  http_request_status ('HTTP/1.1 401 Unauthorized');
  http_header ('WWW-Authenticate: Bearer realm="meshkg-test"\r\n');
  http ('a bearer token is required');
  return 0;
}
;
DB.DBA.VHOST_DEFINE (lhost=>'*ini*', vhost=>'*ini*', lpath=>'/sparql-bearer',
    ppath=>'/!sparql/', is_dav=>1, vsp_user=>'dba', auth_fn=>'DB.DBA.MESHKG_TEST_BEARER',
    realm=>'meshkg-test', opts=>vector ('noinherit', 1));
checkpoint;
SQL
    isql-vt "127.0.0.1:$sql_port" dba dba <"$vdir/setup.sql" >"$vdir/isql.log" 2>&1 &&
        ! grep -q '\*\*\* Error' "$vdir/isql.log" || {
        echo "servers.sh: isql-vt failed:" >&2
        cat "$vdir/isql.log" >&2
        return 1
    }
}

start_oxigraph() {
    local odir=$dir/oxigraph
    mkdir -p "$odir"
    # In memory, not --location: the tests drop and reload the vocabularies hundreds of
    # times, and on RocksDB the deletes leave tombstones that made every later scan
    # (the graph listing meshkg runs before most operations) ~8x slower within one
    # run. Same HTTP server and query engine; OXIGRAPH_LOCATION=DIR keeps it on disk.
    # --timeout-s stops queries a client gave up on (the slow-query tests).
    oxigraph serve ${OXIGRAPH_LOCATION:+--location "$OXIGRAPH_LOCATION"} \
        --bind "127.0.0.1:$ox_port" --timeout-s 30 >"$odir/stdout.log" 2>&1 &
    echo $! >"$dir/oxigraph.pid"
    wait_http "http://127.0.0.1:$ox_port/query?query=ASK%7B%7D" 60 Oxigraph "$odir/stdout.log"
}

stop_pid() {  # NAME
    local f=$dir/$1.pid pid i
    [[ -f $f ]] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 40; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

case $cmd in
start)
    mkdir -p "$dir"
    start_virtuoso
    start_oxigraph
    cat >"$dir/env" <<EOF
export MESHKG_TEST_VIRTUOSO=http://127.0.0.1:$http_port/sparql
export MESHKG_TEST_VIRTUOSO_GSP=http://127.0.0.1:$http_port/sparql-graph-crud
export MESHKG_TEST_VIRTUOSO_AUTH=http://127.0.0.1:$http_port/sparql-auth
export MESHKG_TEST_VIRTUOSO_BASIC=http://127.0.0.1:$http_port/sparql-basic
export MESHKG_TEST_VIRTUOSO_BEARER=http://127.0.0.1:$http_port/sparql-bearer
export MESHKG_TEST_VIRTUOSO_USER=meshkg
export MESHKG_TEST_VIRTUOSO_PASSWORD=meshkg-test-password
export MESHKG_TEST_VIRTUOSO_TOKEN=meshkg-test-token
export MESHKG_TEST_OXIGRAPH=http://127.0.0.1:$ox_port/query
export MESHKG_TEST_OXIGRAPH_UPDATE=http://127.0.0.1:$ox_port/update
export MESHKG_TEST_OXIGRAPH_GSP=http://127.0.0.1:$ox_port/store
EOF
    echo "servers.sh: Virtuoso on :$http_port, Oxigraph on :$ox_port (env in $dir/env)"
    ;;
stop)
    stop_pid oxigraph
    stop_pid virtuoso
    ;;
*)
    echo "usage: servers.sh start|stop DIR" >&2
    exit 2
    ;;
esac
