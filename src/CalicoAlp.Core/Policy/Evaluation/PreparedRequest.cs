using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A request with everything resolved once (identities, endpoints, IP-set memberships, path forms).
    /// Evaluating it allocates nothing when no trace is requested.</summary>
    public sealed class PreparedRequest
    {
        internal SideData Source;
        internal SideData Destination;
        internal EndpointContext? Local;
        internal CompiledProfile[] Profiles = [];
        internal int Protocol;
        internal string? Method;
        internal bool HasHttp;
        internal bool HasPath;
        internal bool PathRooted;
        /// <summary>The path as compared with rule paths; null = matches no path entry.</summary>
        internal string? PathForMatch;
        internal TrafficDirection Direction;
        internal bool SourcePrincipalMalformed;

        public required AlpRequest Request { get; init; }
    }
}
