using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>The gRPC status Dikastes returns (Envoy denies on anything but OK).</summary>
    public enum CheckStatus
    {
        OK = 0,
        UNKNOWN = 2,
        INVALID_ARGUMENT = 3,
        PERMISSION_DENIED = 7,
        INTERNAL = 13,
        UNAVAILABLE = 14,
    }
}
