using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    internal sealed class CompiledRule
    {
        public required RuleDef Def;
        public RuleAction Action;
        public int Index;
        public CompiledEntity Source = new();
        public CompiledEntity Destination = new();
        public bool HasProtocol;
        /// <summary>Protocol number; 0 = a name this release does not understand (never matches).</summary>
        public int Protocol;
        public bool HasNotProtocol;
        public int NotProtocol;
        public bool HasHttp;
        public bool AnyMethod;
        public string[] Methods = [];
        public CompiledPath[] Paths = [];
    }
}
