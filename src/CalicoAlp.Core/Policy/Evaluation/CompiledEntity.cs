using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    internal sealed class CompiledEntity
    {
        public bool HasServiceAccounts;
        public string[] ServiceAccountNames = [];
        public Selector? ServiceAccountSelector;
        /// <summary>namespaceSelector as written (plain evaluation on the peer namespace's labels).</summary>
        public Selector? NamespaceSelector;
        /// <summary>NetworkPolicy scoping: the peer namespace must equal this (null = no check).</summary>
        public string? RequiredNamespace;
        /// <summary>Index of the positive IP-set selector in the engine's set table, or -1.</summary>
        public int PositiveSet = -1;
        public int NegativeSet = -1;
        public NetSet? Nets;
        public NetSet? NotNets;
        public PortSet? Ports;
        public PortSet? NotPorts;
    }
}
