#!/usr/bin/env bash
# Local Kubernetes 1.20.2 control plane for CalicoAlp integration tests.
#
#   cluster.sh install            build kube-apiserver + kube-controller-manager 1.20.2 once (cached)
#   cluster.sh start   <statedir> start etcd + kube-apiserver + kube-controller-manager, write kubeconfig/env
#   cluster.sh stop    <statedir> stop exactly the processes recorded in <statedir>/pids/
#   cluster.sh status  <statedir> show process liveness and /readyz
#   cluster.sh fixture <statedir> [generation]
#                                 lay a Calico + Istio fixture (default calico3.12-istio1.4.2; one per statedir;
#                                 generations: the folders in fixture/generations/)
#
# See README.md in this folder.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION="v1.20.2"
K8S_MAJOR="1"
K8S_MINOR="20"
CACHE_ROOT="${CALICOALP_CACHE:-$HOME/.cache/calicoalp}"
K8S_CACHE="${CACHE_ROOT}/k8s-1.20.2"
BIN_DIR="${K8S_CACHE}/bin"
STAMP="${BIN_DIR}/.build-ok"
CLUSTER_NAME="calicoalp-local"
SERVICE_CIDR="10.96.0.0/16"

LOG_T0=""
log()  {
  if [[ -n $LOG_T0 ]]; then printf '[cluster +%ss] %s\n' "$(elapsed "$LOG_T0")" "$*"
  else printf '[cluster] %s\n' "$*"; fi
}
warn() { printf '[cluster] WARNING: %s\n' "$*" >&2; }
die()  { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) for: $*"; fi
}

# ---------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------

# Debian packages needed at build time and at run time.
BUILD_PKGS=(golang-go golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev
            dpkg-dev xz-utils)
RUN_PKGS=(etcd-server openssl curl ca-certificates)

pkg_missing() {
  local p missing=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  printf '%s\n' "${missing[@]}"
}

apt_install() {
  local missing
  mapfile -t missing < <(pkg_missing "$@" | sed '/^$/d')
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "apt-get install ${missing[*]}"
  mkdir -p "$K8S_CACHE/logs"
  local alog="$K8S_CACHE/logs/apt.log"
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y --no-install-recommends "${missing[@]}"; } >>"$alog" 2>&1; then
    tail -n 20 "$alog" >&2
    die "apt-get install ${missing[*]} failed (log: $alog)"
  fi
}

ensure_kubectl() {
  if ! command -v kubectl >/dev/null 2>&1; then
    # Debian bookworm's kubectl is 1.20.2 as well.
    apt_install kubernetes-client
  fi
}

# Mirror URL of the Debian archive configured on this machine (for deb-src).
debian_mirror() {
  local f u=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    u=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
    [[ -n $u ]] && break
  done
  if [[ -z $u && -f /etc/apt/sources.list ]]; then
    u=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  echo "${u:-http://deb.debian.org/debian}"
}

# Download the Debian source package "kubernetes" (1.20.5+really1.20.2) with an
# apt configuration private to the cache: the system's apt sources are not touched.
fetch_source() {
  local dl="$K8S_CACHE/dl" apt="$K8S_CACHE/apt"
  if compgen -G "$dl/kubernetes_*really1.20.2*.dsc" >/dev/null; then
    log "source package already downloaded ($dl)"
    return 0
  fi
  mkdir -p "$dl" "$apt/lists/partial" "$apt/archives/partial"
  local mirror; mirror=$(debian_mirror)
  log "fetching Debian source package kubernetes from $mirror (bookworm)"
  printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bookworm main\n' \
    "$mirror" > "$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=-"
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives"
              -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
  apt-get "${opts[@]}" update
  (cd "$dl" && apt-get "${opts[@]}" source --download-only kubernetes)
  compgen -G "$dl/kubernetes_*really1.20.2*.dsc" >/dev/null \
    || die "downloaded source is not 1.20.5+really1.20.2: $(ls "$dl")"
}

build_k8s() {
  local work="$K8S_CACHE/work"
  local gopath="$work/gopath" src="$work/gopath/src/k8s.io/kubernetes"
  rm -rf "$work"
  mkdir -p "$(dirname "$src")"

  log "extracting source (dpkg-source -x, Debian patches applied)"
  local dsc; dsc=$(ls "$K8S_CACHE"/dl/kubernetes_*really1.20.2*.dsc | head -n1)
  dpkg-source --no-check -x "$dsc" "$src" >/dev/null

  # Go >= 1.18 + reflect2 1.0.1 => "unexpected fault address" in the apiserver on the
  # first custom-resource write. Use Debian's reflect2 1.0.2 / json-iterator 1.1.12.
  log "replacing vendored reflect2 1.0.1 / json-iterator 1.1.10 with Debian's 1.0.2 / 1.1.12"
  local p
  for p in github.com/modern-go/reflect2 github.com/json-iterator/go github.com/modern-go/concurrent; do
    [[ -d /usr/share/gocode/src/$p ]] || die "missing /usr/share/gocode/src/$p"
    rm -rf "${src:?}/vendor/$p"
    cp -rL "/usr/share/gocode/src/$p" "$src/vendor/$p"
    find "$src/vendor/$p" -name '*_test.go' -delete
  done

  export GOPATH="$gopath" GO111MODULE=off GOFLAGS="" CGO_ENABLED=0 GOPROXY=off
  export GOCACHE="$work/gocache"
  cd "$src"

  log "building openapi-gen (vendored k8s.io/kube-openapi)"
  go build -o "$work/bin/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen

  # Same input set as Makefile.generated_files (KUBE_OPENAPI target): every Go dir of
  # the tree (staging/src named vendor/), files with a "// +k8s:" tag, minus
  # code-generator and sample-apiserver, that carry "+k8s:openapi-gen=".
  log "generating pkg/generated/openapi/zz_generated.openapi.go"
  local dirs
  dirs=$(find -H . \( -path './_*' -o -path './.*' -o -path ./vendor \) -prune -o -type f -name '*.go' -print \
    | sed -e 's|^\./staging/src/|vendor/|' -e 's|^\./||' \
    | { xargs grep -l '^// *+k8s:' || true; } \
    | grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' \
    | { xargs grep -l '+k8s:openapi-gen=' || true; } | xargs -n1 dirname | LC_ALL=C sort -u \
    | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)
  [[ -n $dirs ]] || die "no openapi input packages found"
  "$work/bin/openapi-gen" --logtostderr \
    -i "$dirs" \
    -p k8s.io/kubernetes/pkg/generated/openapi \
    -O zz_generated.openapi \
    -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
    -r "$work/openapi_violations.report"
  [[ -s pkg/generated/openapi/zz_generated.openapi.go ]] || die "openapi-gen produced nothing"

  log "go build kube-apiserver kube-controller-manager ($(go version | awk '{print $3}'), GOPATH mode)"
  local ldflags="-s -w" pkg key val
  for pkg in client-go/pkg/version component-base/version; do
    for key in gitVersion=$K8S_VERSION gitMajor=$K8S_MAJOR gitMinor=$K8S_MINOR gitTreeState=archive \
               buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ); do
      ldflags+=" -X k8s.io/kubernetes/vendor/k8s.io/$pkg.$key"
    done
  done
  mkdir -p "$work/out"
  go build -tags 'selinux notest' -ldflags "$ldflags" -o "$work/out/" \
    ./cmd/kube-apiserver ./cmd/kube-controller-manager

  "$work/out/kube-apiserver" --version | grep -q "Kubernetes $K8S_VERSION" \
    || die "built kube-apiserver does not report $K8S_VERSION"
  mkdir -p "$BIN_DIR"
  install -m 0755 "$work/out/kube-apiserver" "$work/out/kube-controller-manager" "$BIN_DIR/"
}

cmd_install() {
  local t0; t0=$(now)
  apt_install "${RUN_PKGS[@]}"
  ensure_kubectl
  if [[ -f $STAMP && -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/kube-controller-manager ]]; then
    log "kube-apiserver and kube-controller-manager $K8S_VERSION are cached in $BIN_DIR"
    log "install done in $(elapsed "$t0")s"
    return 0
  fi

  mkdir -p "$K8S_CACHE/logs"
  exec 9>"$K8S_CACHE/.lock"
  flock 9
  if [[ -f $STAMP ]]; then   # built by a concurrent run while we waited for the lock
    log "binaries were built concurrently; cached in $BIN_DIR"
    return 0
  fi
  local buildlog; buildlog="$K8S_CACHE/logs/build-$(date -u +%Y%m%dT%H%M%SZ).log"
  ln -sfn "$(basename "$buildlog")" "$K8S_CACHE/logs/build.log"
  log "building Kubernetes $K8S_VERSION (log: $buildlog)"
  rm -f "$STAMP"
  # Not inside "if !": errexit must stay effective in the subshell.
  local rc=0
  set +e
  ( set -euo pipefail
    LOG_T0=$t0
    apt_install "${BUILD_PKGS[@]}"
    fetch_source
    build_k8s ) > >(tee -a "$buildlog" | grep --line-buffered '^\[cluster') 2>>"$buildlog"
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then
    sleep 0.2
    echo "----- last 40 lines of $buildlog -----" >&2
    tail -n 40 "$buildlog" >&2
    die "build failed after $(elapsed "$t0")s (full log: $buildlog)"
  fi
  sleep 0.2
  { echo "version=$K8S_VERSION"; echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo "go=$(go version)"; } > "$STAMP"
  rm -rf "$K8S_CACHE/work" "$K8S_CACHE/apt"
  log "built: $("$BIN_DIR/kube-apiserver" --version), $("$BIN_DIR/kube-controller-manager" --version)"
  log "install done in $(elapsed "$t0")s"
}

# ---------------------------------------------------------------------------
# helpers for start/stop/status
# ---------------------------------------------------------------------------

COMPONENTS=(kube-controller-manager kube-apiserver etcd)   # stop order

# statedir_arg <dir> [create]: absolute, symlink-free path of the state directory.
statedir_arg() {
  [[ -n ${1:-} ]] || die "usage: $0 $CMD <statedir>"
  local d="$1"
  [[ $d =~ [[:space:]\'\"\$\`\\] ]] && die "statedir must not contain whitespace, quotes, \$, \` or \\: $d"
  if [[ ${2:-} == create ]]; then mkdir -p "$d"; fi
  [[ -d $d ]] || { echo "$d"; return 0; }
  (cd "$d" && pwd -P)
}

port_in_use() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A free loopback TCP port below the ephemeral range, not in the given exclude list.
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    [[ " $* " == *" $p "* ]] && continue
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

# pid of component $2 in statedir $1 if it is alive and really ours (its command
# line mentions the statedir), else empty.
live_pid() {
  local sd="$1" c="$2" pid
  [[ -f $sd/pids/$c.pid ]] || return 0
  pid=$(cat "$sd/pids/$c.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  pid_alive "$pid" || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$sd/" || return 0
  echo "$pid"
}

# alive = exists and is not a zombie (an unreaped exited child of a non-reaping init)
pid_alive() {
  local st
  st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

stop_pid() {
  local pid="$1" name="$2" i t0; t0=$(now)
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 150); do
    pid_alive "$pid" || { log "stopped $name (pid $pid, $(elapsed "$t0")s)"; return 0; }
    sleep 0.1
  done
  warn "$name (pid $pid) did not exit 15s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do pid_alive "$pid" || return 0; sleep 0.1; done
  warn "$name (pid $pid) still present"
}

# Launch "$@" detached (own session), stdout/stderr to logfile, record pid.
launch() {
  local sd="$1" name="$2" logf="$3"; shift 3
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$sd/pids/$name.pid"
  echo "$pid"
}

readyz() {  # readyz <ca> <url> <token>  -> prints body, rc 0 when "ok"
  local out
  out=$(curl -sS --max-time 3 --cacert "$1" -H "Authorization: Bearer $3" "$2/readyz" 2>/dev/null) || return 1
  [[ $out == ok ]]
}

kc() { kubectl --kubeconfig "$SD/kubeconfig" "$@"; }

gen_pki() {
  local pki="$1/pki"
  mkdir -p "$pki"
  chmod 700 "$pki"
  if [[ ! -s $pki/ca.crt ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$pki/ca.key" -out "$pki/ca.crt" -subj "/CN=calicoalp-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    rm -f "$pki/apiserver.crt"
  fi
  if [[ ! -s $pki/apiserver.crt ]]; then
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" \
      -subj "/CN=kube-apiserver" 2>/dev/null
    cat > "$pki/apiserver.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1
EOF
    openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 3650 -sha256 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
    rm -f "$pki/apiserver.csr"
  fi
  if [[ ! -s $pki/sa.key ]]; then
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  fi
  if [[ ! -s $pki/tokens.csv ]]; then
    # token,user,uid,"groups"
    {
      echo "$(openssl rand -hex 24),calicoalp-admin,calicoalp-admin,\"system:masters\""
      echo "$(openssl rand -hex 24),calicoalp-viewer,calicoalp-viewer"
      echo "$(openssl rand -hex 24),calicoalp-noaccess,calicoalp-noaccess"
      echo "$(openssl rand -hex 24),system:kube-controller-manager,system:kube-controller-manager"
    } > "$pki/tokens.csv"
  fi
  chmod 600 "$pki"/*.key "$pki/tokens.csv"
}

token_of() { awk -F, -v u="$2" '$2 == u { print $1 }' "$1/pki/tokens.csv"; }

write_kubeconfigs() {
  local sd="$1" url="$2" ca; ca=$(base64 -w0 < "$sd/pki/ca.crt")
  local admin viewer noaccess kcm
  admin=$(token_of "$sd" calicoalp-admin); viewer=$(token_of "$sd" calicoalp-viewer)
  noaccess=$(token_of "$sd" calicoalp-noaccess); kcm=$(token_of "$sd" system:kube-controller-manager)
  umask 077
  cat > "$sd/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: $url
    certificate-authority-data: $ca
users:
- name: calicoalp-admin
  user:
    token: $admin
- name: calicoalp-viewer
  user:
    token: $viewer
- name: calicoalp-noaccess
  user:
    token: $noaccess
contexts:
- name: admin
  context:
    cluster: $CLUSTER_NAME
    user: calicoalp-admin
- name: viewer
  context:
    cluster: $CLUSTER_NAME
    user: calicoalp-viewer
- name: noaccess
  context:
    cluster: $CLUSTER_NAME
    user: calicoalp-noaccess
current-context: admin
preferences: {}
EOF
  mv "$sd/kubeconfig.tmp" "$sd/kubeconfig"
  cat > "$sd/kube-controller-manager.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: $url
    certificate-authority-data: $ca
users:
- name: system:kube-controller-manager
  user:
    token: $kcm
contexts:
- name: kcm
  context:
    cluster: $CLUSTER_NAME
    user: system:kube-controller-manager
current-context: kcm
EOF
  umask 022
}

# ---------------------------------------------------------------------------
# start / stop / status
# ---------------------------------------------------------------------------

cmd_start() {
  local t0; t0=$(now)
  SD=$(statedir_arg "${1:-}" create)
  [[ -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/kube-controller-manager && -f $STAMP ]] \
    || die "binaries not found in $BIN_DIR; run: $0 install"
  command -v etcd >/dev/null || die "etcd not installed; run: $0 install"
  command -v kubectl >/dev/null || die "kubectl not installed; run: $0 install"

  local c running=0
  for c in "${COMPONENTS[@]}"; do [[ -n $(live_pid "$SD" "$c") ]] && running=$((running + 1)); done
  if [[ $running -gt 0 ]]; then
    if [[ $running -eq ${#COMPONENTS[@]} && -f $SD/env ]]; then
      log "cluster in $SD is already running"; cmd_status "$SD" || true; return 0
    fi
    die "cluster in $SD is partially running; run: $0 stop $SD"
  fi

  mkdir -p "$SD/pids" "$SD/logs" "$SD/etcd"
  chmod 700 "$SD/etcd"
  rm -f "$SD/pids/"*.pid "$SD/env"
  gen_pki "$SD"
  # Any failure from here on stops what was started.
  START_OK=0
  trap '[[ $START_OK == 1 ]] || { warn "start failed; stopping what was started"; cmd_stop "$SD" >&2 || true; }' EXIT

  local etcd_port etcd_peer api_port
  etcd_port=$(free_port)
  etcd_peer=$(free_port "$etcd_port")
  api_port=$(free_port "$etcd_port" "$etcd_peer")
  local url="https://127.0.0.1:$api_port"
  local pki="$SD/pki"

  local pid_etcd pid_api pid_kcm
  pid_etcd=$(launch "$SD" etcd "$SD/logs/etcd.log" etcd \
    --name calicoalp --data-dir "$SD/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "calicoalp=http://127.0.0.1:$etcd_peer" --initial-cluster-state new \
    --log-outputs stderr --logger zap)

  # kube-apiserver retries etcd itself; no need to wait here.
  write_kubeconfigs "$SD" "$url"
  pid_api=$(launch "$SD" kube-apiserver "$SD/logs/kube-apiserver.log" "$BIN_DIR/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" --insecure-port=0 \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --token-auth-file="$pki/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --endpoint-reconciler-type=none \
    --allow-privileged=true \
    --profiling=false \
    --cert-dir="$SD/pki/apiserver-certs" \
    --v=1)

  local deadline=$((SECONDS + 90)) admin; admin=$(token_of "$SD" calicoalp-admin)
  until readyz "$pki/ca.crt" "$url" "$admin"; do
    for c in etcd kube-apiserver; do
      if [[ -z $(live_pid "$SD" "$c") ]]; then
        echo "----- last 30 lines of $SD/logs/$c.log -----" >&2; tail -n 30 "$SD/logs/$c.log" >&2
        die "$c exited during startup"
      fi
    done
    if [[ $SECONDS -ge $deadline ]]; then
      tail -n 30 "$SD/logs/kube-apiserver.log" >&2
      die "kube-apiserver not ready after 90s"
    fi
    sleep 0.2
  done
  log "kube-apiserver ready at $url after $(elapsed "$t0")s"

  pid_kcm=$(launch "$SD" kube-controller-manager "$SD/logs/kube-controller-manager.log" \
    "$BIN_DIR/kube-controller-manager" \
    --kubeconfig="$SD/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$SD/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$SD/kube-controller-manager.kubeconfig" \
    --controllers=namespace,garbagecollector,serviceaccount,serviceaccount-token,clusterrole-aggregation \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --leader-elect=false --port=0 --secure-port=0 \
    --profiling=false --v=1)

  # Least-privilege viewer: built-in ClusterRole "view" only.
  kc --context admin apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: calicoalp-viewer-view
  labels:
    app.kubernetes.io/managed-by: calicoalp-tests
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: calicoalp-viewer
EOF

  # controller-manager is effective once the default ServiceAccount (with token) exists.
  deadline=$((SECONDS + 60))
  until [[ -n $(kc --context admin -n default get secrets -o name 2>/dev/null | grep 'default-token') ]]; do
    if [[ -z $(live_pid "$SD" kube-controller-manager) ]]; then
      tail -n 30 "$SD/logs/kube-controller-manager.log" >&2
      die "kube-controller-manager exited during startup"
    fi
    if [[ $SECONDS -ge $deadline ]]; then
      warn "default ServiceAccount token not created after 60s (see $SD/logs/kube-controller-manager.log)"
      break
    fi
    sleep 0.2
  done

  cat > "$SD/env.tmp" <<EOF
CLUSTER_NAME=$CLUSTER_NAME
K8S_VERSION=$K8S_VERSION
STATEDIR=$SD
APISERVER_URL=$url
APISERVER_PORT=$api_port
KUBECONFIG=$SD/kubeconfig
CA_CERT=$pki/ca.crt
ADMIN_CONTEXT=admin
VIEWER_CONTEXT=viewer
NOACCESS_CONTEXT=noaccess
ADMIN_USER=calicoalp-admin
VIEWER_USER=calicoalp-viewer
NOACCESS_USER=calicoalp-noaccess
ADMIN_TOKEN=$admin
VIEWER_TOKEN=$(token_of "$SD" calicoalp-viewer)
NOACCESS_TOKEN=$(token_of "$SD" calicoalp-noaccess)
ETCD_URL=http://127.0.0.1:$etcd_port
ETCD_PORT=$etcd_port
ETCD_PEER_PORT=$etcd_peer
ETCD_PID=$pid_etcd
APISERVER_PID=$pid_api
CONTROLLER_MANAGER_PID=$pid_kcm
BIN_DIR=$BIN_DIR
EOF
  chmod 600 "$SD/env.tmp"
  mv "$SD/env.tmp" "$SD/env"
  START_OK=1
  log "cluster $CLUSTER_NAME ($K8S_VERSION) up: $url  pids etcd=$pid_etcd kube-apiserver=$pid_api kube-controller-manager=$pid_kcm"
  log "KUBECONFIG=$SD/kubeconfig (contexts admin|viewer|noaccess), env: $SD/env"
  log "start done in $(elapsed "$t0")s"
}

cmd_stop() {
  local sd; sd=$(statedir_arg "${1:-}")
  local c pid any=0
  for c in "${COMPONENTS[@]}"; do
    pid=$(live_pid "$sd" "$c")
    if [[ -n $pid ]]; then stop_pid "$pid" "$c"; any=1; fi
    rm -f "$sd/pids/$c.pid"
  done
  [[ $any -eq 1 ]] || log "nothing running in $sd"
  return 0
}

cmd_status() {
  local sd; sd=$(statedir_arg "${1:-}")
  local c pid rc=0
  for c in etcd kube-apiserver kube-controller-manager; do
    pid=$(live_pid "$sd" "$c")
    if [[ -n $pid ]]; then log "$c: running (pid $pid)"; else log "$c: not running"; rc=1; fi
  done
  if [[ -f $sd/env ]]; then
    local url tok
    url=$(sed -n 's/^APISERVER_URL=//p' "$sd/env"); tok=$(sed -n 's/^ADMIN_TOKEN=//p' "$sd/env")
    if readyz "$sd/pki/ca.crt" "$url" "$tok"; then log "readyz $url: ok"; else log "readyz $url: NOT ready"; rc=1; fi
  else
    log "no env file in $sd"; rc=1
  fi
  return $rc
}

# ---------------------------------------------------------------------------
# fixture
# ---------------------------------------------------------------------------

DEFAULT_GENERATION="calico3.12-istio1.4.2"

# Waits until every CRD defined in the given files is Established (60 s at most).
wait_crds() {
  local flog="$1"; shift
  local crds
  crds=$(cat "$@" | awk '/^kind: CustomResourceDefinition/ { c = 1 } c && /^  name: / { print $2; c = 0 }')
  local deadline=$((SECONDS + 60)) established notready
  while :; do
    established=$(kc --context admin get crd -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\n"}{end}' 2>>"$flog" \
      | sed -n 's/=True$//p') || true   # a CRD created a moment ago has no conditions yet: kubectl's jsonpath fails, retry
    notready=$(comm -23 <(sort <<<"$crds") <(sort <<<"$established"))
    [[ -z $notready ]] && break
    [[ $SECONDS -ge $deadline ]] && die "CRDs not established after 60s: $notready"
    sleep 0.2
  done
}

# A generation from fixture/generations/<gen>/generation.env (variables already sourced): the Calico CRDs, the
# generation's Istio CRDs, then the shared templates (modern/*.in, with only the generation's variables substituted)
# and the generation's own files (FILES), all with kubectl apply (re-run: "unchanged").
fixture_generation() {
  local fx="$1" gdir="$2" flog="$3" t f
  apply -f "$fx/calico-v3.12-kdd-crds.yaml" -f "$fx/calico-tiers-crd.yaml" -f "$fx/$ISTIO_CRDS"
  wait_crds "$flog" "$fx/calico-v3.12-kdd-crds.yaml" "$fx/calico-tiers-crd.yaml" "$fx/$ISTIO_CRDS"
  apply -f "$fx/istio-system.yaml"
  export CALICO_VERSION CALICO_REGISTRY CALICO_NAMESPACE ISTIO_VERSION
  for t in $TEMPLATES; do
    f="$fx/modern/$t"
    [[ -f $f ]] || die "template $t (generation.env) not found in $fx/modern"
    if [[ $t == *.in ]]; then
      # shellcheck disable=SC2016
      envsubst '${CALICO_VERSION} ${CALICO_REGISTRY} ${CALICO_NAMESPACE} ${ISTIO_VERSION}' < "$f" | apply -f -
    else
      apply -f "$f"
    fi
  done
  for f in $FILES; do apply -f "$gdir/$f"; done
}

cmd_fixture() {
  local t0; t0=$(now)
  SD=$(statedir_arg "${1:-}")
  local gen="${2:-$DEFAULT_GENERATION}"
  [[ -f $SD/kubeconfig ]] || die "no kubeconfig in $SD; run: $0 start $SD"
  local fx="$SCRIPT_DIR/fixture" flog="$SD/logs/fixture.log"
  local gdir="$fx/generations/$gen"
  [[ $gen =~ ^[a-z0-9.-]+$ && -f $gdir/generation.env ]] \
    || die "unknown generation '$gen'; known: $(cd "$fx/generations" && ls | tr '\n' ' ')"
  # One generation per statedir: their CRDs (Istio 1.4 v1beta1 vs 1.15/1.28 v1) and control planes differ.
  if [[ -f $SD/fixture-generation ]] && [[ $(cat "$SD/fixture-generation") != "$gen" ]]; then
    die "$SD already holds generation $(cat "$SD/fixture-generation"); use another statedir for $gen"
  fi
  mkdir -p "$SD/logs"
  : > "$flog"
  apply() {
    if ! kc --context admin apply "$@" >>"$flog" 2>&1; then
      tail -n 30 "$flog" >&2; die "kubectl apply $* failed (log: $flog)"
    fi
  }
  local LEGACY="" CALICO_VERSION="" CALICO_REGISTRY="" CALICO_NAMESPACE="" ISTIO_VERSION="" ISTIO_CRDS="" TEMPLATES="" FILES=""
  # shellcheck disable=SC1090
  source "$gdir/generation.env"
  echo "$gen" > "$SD/fixture-generation"
  if [[ -z $LEGACY ]]; then
    fixture_generation "$fx" "$gdir" "$flog"
    log "fixture $gen: $(grep -c -E 'created|configured|unchanged' "$flog") objects, $(grep -c -E ' (created|configured)$' "$flog") changed (log: $flog)"
    log "fixture done in $(elapsed "$t0")s"
    return
  fi
  # 1. CRDs (Calico 3.12 KDD + tiers, Istio 1.4.2), then wait until they are served.
  apply -f "$fx/calico-v3.12-kdd-crds.yaml" -f "$fx/calico-tiers-crd.yaml" \
        -f "$fx/istio-1.4.2-crd-10.yaml" -f "$fx/istio-1.4.2-crd-11.yaml" -f "$fx/istio-1.4.2-crd-14.yaml"
  wait_crds "$flog" "$fx"/calico-v3.12-kdd-crds.yaml "$fx"/calico-tiers-crd.yaml "$fx"/istio-1.4.2-crd-1*.yaml
  # 2. Objects.
  apply -f "$fx/calico-objects.yaml"
  apply -f "$fx/istio-system.yaml"
  apply -f "$fx/istio-sidecar-injector-configmap.yaml" -f "$fx/istio-control-plane.yaml" \
        -f "$fx/istio-meshpolicy.yaml"
  log "fixture applied: $(grep -c -E 'created|configured|unchanged' "$flog") objects (log: $flog)"
  log "fixture done in $(elapsed "$t0")s"
}

# ---------------------------------------------------------------------------

CMD="${1:-}"
shift || true
case "$CMD" in
  install) cmd_install "$@" ;;
  start)   cmd_start "$@" ;;
  stop)    cmd_stop "$@" ;;
  status)  cmd_status "$@" ;;
  fixture) cmd_fixture "$@" ;;
  *) echo "usage: $0 {install|start <statedir>|stop <statedir>|status <statedir>|fixture <statedir> [generation]}" >&2; exit 2 ;;
esac
