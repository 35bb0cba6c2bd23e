using CalicoAlp.Core.Json;
using CalicoAlp.Core.Namespaces;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System;

namespace CalicoAlp.Core.Results
{
    /// <summary>Why a pod is not (fully) under ALP enforcement.</summary>
    public enum SidecarGap
    {
        /// <summary>No istio-proxy: created before the namespace was labelled (or injection was off).</summary>
        NoSidecar,
        /// <summary>istio-proxy but no dikastes: injected before the injector had Dikastes.</summary>
        NoDikastes,
        /// <summary>Still has the sidecars although the namespace left ALP (Remove-AlpNamespace).</summary>
        HasSidecar,
    }
}
