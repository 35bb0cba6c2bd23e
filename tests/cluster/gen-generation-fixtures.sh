#!/usr/bin/env bash
# Regenerates the per-generation fixture data that comes from the shared oracle folder
# (../shared/upstream/calico-alp-modern, or $CALICOALP_SHARED/upstream/calico-alp-modern):
#   fixture/istio-crds-1.15.2.yaml         verbatim copy of istio-crds/1.15.2/alp-subset.crds.yaml (no CEL)
#   fixture/istio-crds-1.28.1-no-cel.yaml  istio-crds/1.28.1/alp-subset.crds.yaml with every
#                                          x-kubernetes-validations block (CEL) removed: kube-apiserver 1.20
#                                          cannot serve them (CEL needs 1.23+); nothing else changes
#   fixture/generations/<gen>/istio-sidecar-injector.yaml
#       1.7.4, 1.10.2, 1.15.2: verbatim copy of istio-stock/<ver>/rendered/istio-sidecar-injector.configmap.yaml
#       1.28.1: a ConfigMap whose data.config is istio-stock/1.28.1/rendered/data.config.txt without its final
#               newline (the wrapper's `config: |-`), data.values = fixture/generations/<gen>/values.json
#               (plausible values, not a real render: spec §10), labels as istioctl 1.28 sets them.
# Needs bash, awk, jq, python3 with PyYAML (only to check the CEL strip).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fx="$here/fixture"
shared="${CALICOALP_SHARED:-$(cd "$here/../../.." && pwd)/shared}"
up="$shared/upstream/calico-alp-modern"
[[ -d $up ]] || { echo "no $up (set CALICOALP_SHARED)" >&2; exit 1; }

cp "$up/istio-crds/1.15.2/alp-subset.crds.yaml" "$fx/istio-crds-1.15.2.yaml"
chmod 644 "$fx/istio-crds-1.15.2.yaml"

# CEL strip: drop the `x-kubernetes-validations:` line and every following line that is more indented, or at the
# same indentation and a sequence item ("- ", the block style this file uses).
awk '
  skip >= 0 {
    match($0, /^ */); ind = RLENGTH
    if ($0 ~ /^ *$/ || ind > skip || (ind == skip && substr($0, ind + 1, 2) == "- ")) next
    skip = -1
  }
  /^ *x-kubernetes-validations:/ { match($0, /^ */); skip = RLENGTH; next }
  { print }
  BEGIN { skip = -1 }
' "$up/istio-crds/1.28.1/alp-subset.crds.yaml" > "$fx/istio-crds-1.28.1-no-cel.yaml"
python3 - "$up/istio-crds/1.28.1/alp-subset.crds.yaml" "$fx/istio-crds-1.28.1-no-cel.yaml" <<'PY'
import sys, yaml
def strip(n):
    if isinstance(n, dict): return {k: strip(v) for k, v in n.items() if k != "x-kubernetes-validations"}
    if isinstance(n, list): return [strip(v) for v in n]
    return n
a = [strip(d) for d in yaml.safe_load_all(open(sys.argv[1])) if d]
b = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
assert a == b, "CEL strip changed more than x-kubernetes-validations"
assert "x-kubernetes-validations" not in open(sys.argv[2]).read()
print(f"CEL strip checked: {len(b)} CRDs equal to the 1.28.1 subset minus x-kubernetes-validations")
PY

for v in 1.7.4 1.10.2 1.15.2; do
  d=$(ls -d "$fx"/generations/*-istio"$v")
  cp "$up/istio-stock/$v/rendered/istio-sidecar-injector.configmap.yaml" "$d/istio-sidecar-injector.yaml"
  chmod 644 "$d/istio-sidecar-injector.yaml"
done

d="$fx/generations/calico3.31-istio1.28.1"
config=$(cat "$up/istio-stock/1.28.1/rendered/data.config.txt"; printf x)   # keep every byte, then drop the final newline
config=${config%x}; config=${config%$'\n'}
jq -n --arg config "$config" --rawfile values "$d/values.json" '{
  apiVersion: "v1", kind: "ConfigMap",
  metadata: {
    name: "istio-sidecar-injector", namespace: "istio-system",
    labels: {
      "app.kubernetes.io/instance": "istio", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "istiod",
      "app.kubernetes.io/part-of": "istio", "app.kubernetes.io/version": "1.28.1", "helm.sh/chart": "istiod-1.28.1",
      "install.operator.istio.io/owning-resource": "unknown", "istio.io/rev": "default",
      "operator.istio.io/component": "Pilot", "release": "istio"
    }
  },
  data: { values: ($values | rtrimstr("\n")), config: $config }
}' > "$d/istio-sidecar-injector.json"
echo "wrote $fx/istio-crds-1.15.2.yaml $fx/istio-crds-1.28.1-no-cel.yaml and the injector ConfigMaps"
